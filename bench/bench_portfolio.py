"""The portfolio kanban page with 2,000 epics and 20,000 features: server-side render time beside serving a
static page of the same size from the same application, in the same run.

The data is made the way a user would bring it: one import of a tracker export (the product's bulk path),
then the kanban's own moves and decisions spread the epics over the columns."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.staticfiles import StaticFiles
from sqlalchemy import event
from starlette.testclient import TestClient

from bench.harness import Result
from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, UserCreate
from digital_factory.app.factory import Runtime, build_runtime, create_app, prepare_store
from digital_factory.core.actor import Origin, system_actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    DecisionCreate,
    DecisionKind,
    EpicState,
    ImportFormat,
    KanbanConfigUpdate,
    MoveRequest,
)
from digital_factory.settings import Settings

EPICS = 2_000
FEATURES_PER_EPIC = 10
PASSWORD = "bench password, not secret"  # noqa: S105
REQUESTS = 40
# how many epics end in each column (the rest stay in the Funnel)
SPREAD = {"reviewing": 200, "analyzing": 150, "ready": 150, "implementing": 100, "persevere": 50, "done": 150}


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), public_url="http://testserver", log_level="WARNING")
        runtime = build_runtime(settings)
        prepare_store(runtime)
        started = time.perf_counter()
        board_user = _people(runtime)
        _import(runtime, board_user)
        _spread(runtime, board_user)
        print(
            f"  data: {EPICS:,} epics, {EPICS * FEATURES_PER_EPIC:,} features in {time.perf_counter() - started:.1f} s"
        )
        with TestClient(create_app(settings, runtime=runtime), base_url="http://testserver") as client:
            _sign_in(client)
            return _measure(client, runtime, Path(home))


def _people(runtime: Runtime) -> Any:
    with runtime.store.unit_of_work(system_actor("bench")) as uow:
        user = accounts.create_user(
            uow, UserCreate(username="bea", display_name="Bea Admin", role=Role.ADMIN, password=PASSWORD)
        ).user
    return accounts.actor_for(user, origin=Origin.WEB)


def _tracker_export() -> str:
    hypothesis = {
        "for_customers": "fleet operators",
        "who": "fly every day",
        "the_solution": "an idea",
        "is_a": "drone service",
        "that": "saves time",
        "unlike": "today",
        "our_solution": "works on our fleet",
    }
    epics = []
    for n in range(EPICS):
        epics.append(
            {
                "ref": f"TRK-{n}",
                "title": f"Idea {n}: drones for use case {n % 97}",
                "owner": "bea",
                "hypothesis": hypothesis,
                "business_case": {"analysis_summary": "worth it", "mvp_cost": 1000, "full_cost": 5000},
                "mvp_definition": "the smallest useful thing",
                "leading_indicators": [
                    {
                        "name": "Units sold",
                        "metric_query": f'sum(business.units_sold{{idea="{n}"}}[30d])',
                        "baseline": 0,
                        "target": 10,
                        "deadline": "2027-12-31",
                    }
                ],
                "score": {
                    "user_business_value": (1, 2, 3, 5, 8, 13, 20)[n % 7],
                    "time_criticality": (1, 2, 3, 5, 8, 13, 20)[(n // 7) % 7],
                    "risk_reduction": (1, 2, 3, 5, 8)[n % 5],
                    "job_size": (1, 2, 3, 5, 8, 13, 20)[(n // 3) % 7],
                },
                "features": [
                    {"ref": f"TRK-{n}-{f}", "title": f"Feature {f} of idea {n}", "acceptance_criteria": ["it works"]}
                    for f in range(FEATURES_PER_EPIC)
                ],
            }
        )
    return json.dumps({"epics": epics})


def _import(runtime: Runtime, actor: Any) -> None:
    content = _tracker_export()
    with runtime.store.unit_of_work(actor) as uow:
        report = portfolio.import_items(uow, content, ImportFormat.JSON)
    assert not report.errors and report.epics == EPICS, report.errors[:3]


def _spread(runtime: Runtime, actor: Any) -> None:
    """Move epics with the kanban's own rules (the WIP limits lifted for the bulk: this is a migration)."""
    with runtime.store.unit_of_work(actor) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits=dict.fromkeys(EpicState)))
    paths = {
        "reviewing": ["reviewing"],
        "analyzing": ["reviewing", "analyzing"],
        "ready": ["reviewing", "analyzing", "go", "ready"],
        "implementing": ["reviewing", "analyzing", "go", "ready", "implementing"],
        "persevere": ["reviewing", "analyzing", "go", "ready", "implementing", "persevere"],
        "done": ["reviewing", "analyzing", "no-go"],
    }
    number = 1
    for target, count in SPREAD.items():
        with runtime.store.unit_of_work(actor) as uow:
            for key in (f"EPIC-{n}" for n in range(number, number + count)):
                for step in paths[target]:
                    _step(uow, key, step)
        number += count


def _step(uow: Any, key: str, step: str) -> None:
    if step in {"go", "no-go", "persevere"}:
        portfolio.decide(uow, key, DecisionCreate(kind=DecisionKind(step), rationale="bench"))
    else:
        portfolio.move_epic(uow, key, MoveRequest(to=step))


def _sign_in(client: TestClient) -> None:
    response = client.post(
        "/login", data={"username": "bea", "password": PASSWORD}, headers={"Origin": "http://testserver"}
    )
    assert response.status_code in {200, 303}, response.text


def _median_ms(send: Callable[[], Any], requests: int = REQUESTS) -> float:
    send()  # warm-up (template compile, caches)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        send()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(client: TestClient, runtime: Runtime, home: Path) -> list[Result]:
    page = client.get("/portfolio")
    assert page.status_code == 200 and "Idea" in page.text
    static = home / "static"
    static.mkdir()
    (static / "board.html").write_bytes(page.content)
    client.app.mount("/bench-static", StaticFiles(directory=static), name="bench-static")  # type: ignore[attr-defined]

    statements = _count_statements(runtime, lambda: client.get("/portfolio"))
    print(f"  /portfolio: {len(page.content):,} bytes, {statements} SQL statements per request (session included)")

    def board_page() -> None:
        assert client.get("/portfolio").status_code == 200

    def static_page() -> None:
        assert client.get("/bench-static/board.html").status_code == 200

    static_ms = _median_ms(static_page)
    board_ms = _median_ms(board_page)  # the board's columns and card statuses as the process keeps them
    kept_per_topic, runtime.store.reads.kept_per_topic = runtime.store.reads.kept_per_topic, 0
    read_ms = _median_ms(board_page)  # every load reads them, as the first load after a change does
    runtime.store.reads.kept_per_topic = kept_per_topic
    static_ms = min(static_ms, _median_ms(static_page))  # measured on both sides of the board, the better one
    label = f"portfolio board page, {EPICS:,} epics / {EPICS * FEATURES_PER_EPIC:,} features"
    baseline = f"static page of the same size ({len(page.content) // 1024} KiB, median ms)"
    return [
        Result(f"{label} (median ms)", board_ms, "ms", baseline, static_ms, higher_is_better=False),
        Result(f"{label}, nothing kept (median ms)", read_ms, "ms", baseline, static_ms, higher_is_better=False),
    ]


def _count_statements(runtime: Runtime, send: Callable[[], Any]) -> int:
    count = 0

    def before(*_args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(runtime.store.engine, "before_cursor_execute", before)
    try:
        send()
    finally:
        event.remove(runtime.store.engine, "before_cursor_execute", before)
    return count
