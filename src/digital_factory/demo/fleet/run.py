"""A simulation run: the fleet plays its rounds on a simulated clock and each round is reported.

The clock: a round is `minutes` of simulated time; `speed` simulated minutes pass per real second, so the
run lasts `rounds * minutes / speed` seconds (speed 0: as fast as the server answers). The simulated
timeline ends where the run ends in real time, so a day played in a minute is the day before the run's
end: queries over the last hours and days see it, and no point lies in the future."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from digital_factory.demo.fleet.model import DroneFlags, Fleet, Round

MIN_SPEED = 1 / 60  # real time: a simulated minute per real minute
NANOS = 1_000_000_000


@dataclass(frozen=True)
class Sent:
    """What a round put on the wire (the counts a query can check)."""

    points: int
    spans: int
    logs: int
    flights: int
    status: str = ""  # the server's last answer, e.g. "200 OK"


class Flags(Protocol):
    def of(self, drones: list[str]) -> dict[str, DroneFlags]: ...


class Sender(Protocol):
    def send(self, played: Round, start_ns: int) -> Sent: ...


@dataclass(frozen=True)
class Plan:
    drones: int = 20
    seed: int = 1
    rounds: int = 1
    minutes: float = 15.0  # simulated minutes per round
    speed: float = 60.0  # simulated minutes per real second; 0: no waiting

    @classmethod
    def lasting(cls, seconds: float, *, speed: float, minutes: float, **fields: int) -> Plan:
        """The plan whose rounds fill `seconds` of real time at `speed`."""
        if speed <= 0:
            raise ValueError("a duration needs a speed above 0 (or give a count of rounds)")
        return cls(rounds=max(1, math.ceil(seconds * speed / minutes)), speed=speed, minutes=minutes, **fields)

    def check(self) -> None:
        if self.rounds < 1 or self.drones < 1 or self.minutes <= 0:
            raise ValueError("rounds, drones and round minutes must be above 0")
        if 0 < self.speed < MIN_SPEED:
            raise ValueError(f"speed is simulated minutes per real second: 0 or at least {MIN_SPEED:.4f}")

    @property
    def real_seconds_per_round(self) -> float:
        return self.minutes / self.speed if self.speed else 0.0


@dataclass
class Tally:
    """What the run has sent so far (shown as progress, printed at the end)."""

    rounds: int = 0
    points: int = 0
    spans: int = 0
    logs: int = 0
    flights: int = 0
    heavy_share: float = 0.0
    status: str = ""  # the server's last answer
    units: Counter[str] = field(default_factory=Counter)  # product -> units sold

    def add(self, played: Round, sent: Sent) -> None:
        self.rounds += 1
        self.points += sent.points
        self.spans += sent.spans
        self.logs += sent.logs
        self.flights += sent.flights
        self.heavy_share = played.heavy_share
        self.status = sent.status
        for (product, _), units in played.units_sold.items():
            self.units[product] += units


def run(
    plan: Plan,
    flags: Flags,
    sender: Sender,
    on_round: Callable[[Tally], None] = lambda tally: None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    tally: Tally | None = None,
) -> Tally:
    """Play and send the plan's rounds, counting into `tally` (so an interrupted run knows what it sent);
    flags are read again every simulated hour."""
    plan.check()
    fleet = Fleet(plan.drones, plan.seed, plan.minutes)
    ids = [drone.id for drone in fleet.drones]
    started = clock()
    end = started + plan.rounds * plan.real_seconds_per_round
    origin_ns = int(end * NANOS) - int(plan.rounds * plan.minutes * 60 * NANOS)
    refresh = max(1, round(60 / plan.minutes))
    tally = Tally() if tally is None else tally
    current: dict[str, DroneFlags] = {}
    for number in range(plan.rounds):
        if number % refresh == 0:
            current = flags.of(ids)
        played = fleet.advance(current)
        due = started + (number + 1) * plan.real_seconds_per_round
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        sent = sender.send(played, origin_ns + int(number * plan.minutes * 60 * NANOS))
        tally.add(played, sent)
        on_round(tally)
    return tally
