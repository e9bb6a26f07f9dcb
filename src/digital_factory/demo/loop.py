"""Demo, the loop's second half, played against the running server through its public doors.

The fleet flies over OTLP and reads its flags over OFREP, as an outside application; product management
rolls heavy-lift mode out 50 % → 100 % and the flight-software team approves, through the REST API; the
board reads the hypothesis evaluation (at risk while a tenth of the fleet has the mode, validated once all
of it has), records its decision to persevere, and downloads the board pack. Only the tokens and keys are
made in process, as each person would make them on their account and service pages."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import TokenCreate
from digital_factory.demo.fleet.flags import FlagsUnavailable, FleetFlags
from digital_factory.demo.fleet.otel import ExportFailed, Reporter, quiet_exporter_logs
from digital_factory.demo.fleet.run import MIN_SPEED, Plan, Tally, run
from digital_factory.demo.portfolio import HEAVY_LIFT
from digital_factory.demo.story import DemoContext

SERVICE = "flight-control"  # the drones run its software and report as it
FLAG = "heavy-lift-mode"


class DemoFailed(Exception):
    """A public door answered the demo with an error; the message says which and why."""


@dataclass(frozen=True)
class Pace:
    """How much simulated time the fleet flies before and after the full release (`--fast` shrinks it)."""

    drones: int = 20
    round_minutes: float = 15.0
    early_hours: float = 24.0  # a tenth of the fleet has heavy-lift mode
    late_hours: float = 24.0  # half, then all of it
    live_speed: float = MIN_SPEED  # once ready: a simulated minute a real minute (real time)

    @classmethod
    def fast(cls) -> Pace:
        """For tests: a smaller fleet in hour-long rounds, and live rounds every second (time compressed)."""
        return cls(drones=10, round_minutes=60.0, live_speed=1.0)


@dataclass
class Doors:
    """The running server as its people and the fleet reach it: a bearer token per person, the fleet's keys."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)
    ingestion_key: str = ""
    flag_key: str = ""

    def call(self, who: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        response = httpx.request(method, f"{self.url}/api/v1{path}", json=body, headers=headers, timeout=60)
        if response.is_error:
            raise DemoFailed(f"{method} {path} as {who}: {response.status_code} {response.text[:300]}")
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text


def open_doors(ctx: DemoContext, url: str, people: tuple[str, ...] = ("pm", "flight", "board")) -> Doors:
    """Each person makes a short-lived API token for themselves (as on their account page); the flight team
    makes the fleet's ingestion key and a prod OFREP client key through the API."""
    doors = Doors(url)
    for username in people:
        actor = ctx.actor(username)
        with ctx.runtime.store.unit_of_work(actor) as uow:
            made = accounts.create_token(
                uow, ctx.runtime.digester, username, TokenCreate(name="demo", expires_in_days=7)
            )
        doors.tokens[username] = made.secret
    ingestion = doors.call("flight", "POST", f"/services/{SERVICE}/ingestion-keys", {"name": "drone fleet"})
    doors.ingestion_key = ingestion["secret"]
    client = doors.call("flight", "POST", f"/services/{SERVICE}/client-keys", {"environment": "prod", "name": "fleet"})
    doors.flag_key = client["secret"]
    return doors


def fly(doors: Doors, pace: Pace, hours: float, *, seed: int, ends_ago: float = 0.0) -> Tally:
    """The fleet flies `hours` of simulated time as fast as the server answers, its timeline ending
    `ends_ago` seconds before now; flags are read over OFREP every simulated hour."""
    rounds = max(1, round(hours * 60 / pace.round_minutes))
    plan = Plan(drones=pace.drones, seed=seed, rounds=rounds, minutes=pace.round_minutes, speed=0)
    return _fleet(doors, plan, clock=lambda: time.time() - ends_ago)


class _Landed(Exception):
    """The live fleet was told to stop."""


def fly_live(doors: Doors, pace: Pace, stop: threading.Event, *, seed: int = 21) -> None:
    """The simulator once the demo is ready: a simulated minute at a time at the pace's live speed, until
    `stop` is set (also while it waits) or the server stops answering."""

    def wait(seconds: float) -> None:
        if stop.wait(seconds):
            raise _Landed

    with contextlib.suppress(_Landed, ExportFailed, FlagsUnavailable):
        while not stop.is_set():
            plan = Plan(drones=pace.drones, seed=seed, rounds=1, minutes=1.0, speed=pace.live_speed)
            _fleet(doors, plan, clock=time.time, sleep=wait)
            seed += 1


def _fleet(doors: Doors, plan: Plan, clock: Callable[[], float], sleep: Callable[[float], None] = time.sleep) -> Tally:
    undo = quiet_exporter_logs()
    flags = FleetFlags(doors.url, doors.flag_key, timeout=30)
    reporter = Reporter(doors.url, doors.ingestion_key, SERVICE, "prod", seed=plan.seed, timeout=30)
    try:
        return run(plan, flags, reporter, clock=clock, sleep=sleep)
    finally:
        reporter.close()
        flags.close()
        undo()


def roll_out(doors: Doors, percent: int) -> str:
    """Product management asks for the next rollout step in prod; the flight-software team approves it."""
    path = f"/services/{SERVICE}/flags/{FLAG}/environments/prod/rollout"
    change = doors.call("pm", "POST", path, {"percent": percent, "reason": f"heavy-lift mode for {percent} %"})
    if change.get("status") == "pending":
        change = doors.call(
            "flight", "POST", f"/flag-changes/{change['key']}/approve", {"note": "telemetry is healthy"}
        )
    return str(change["status"])


def hypothesis(doors: Doors, epic: str) -> dict[str, Any]:
    evaluation: dict[str, Any] = doors.call("board", "GET", f"/insights/epics/{epic}/hypothesis")
    return evaluation


def persevere(doors: Doors, epic: str) -> dict[str, Any]:
    """The board records its decision with the evaluation made now as its evidence."""
    body = {"kind": "persevere", "rationale": "Every critical indicator reached its target once the fleet flew it"}
    decided: dict[str, Any] = doors.call("board", "POST", f"/insights/epics/{epic}/hypothesis/decisions", body)
    return decided


def board_pack(doors: Doors, folder: Path, now: datetime | None = None) -> Path:
    """The board pack of the current quarter, downloaded into the demo's data folder."""
    today = now or datetime.now(UTC)
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    html = doors.call("board", "GET", f"/insights/board-pack?period={period}")
    path = folder / f"board-pack-{period}.html"
    path.write_text(html, encoding="utf-8")
    return path


def epic_key(ctx: DemoContext) -> str:
    return ctx.work[HEAVY_LIFT]
