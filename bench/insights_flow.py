"""Flow metrics over a large history: 200 teams, 50,000 features, 500,000 state changes. The product's
`insights.flow_metrics` (all five measures, computed on read from the flow facts portfolio keeps on each
item) beside the same velocity, flow times and efficiency in one plain SQL statement (window functions over
the transitions; median and 85th percentile taken from its rows), and beside a second plain SQL statement
over the items' kept facts (the fair comparison for the product's read), SQLite and PostgreSQL, in the same
run.

The history is inserted with executemany straight into portfolio's tables, each item's facts folded from
its history as portfolio keeps them (for the bench only; the product writes them one state change at a
time). The baselines leave out the daily load samples and the WIP figures the product also computes, so
the ratios overstate the product's cost of the three measures they compute."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bench.harness import Result, each_store, seconds
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.insights import service as insights
from digital_factory.portfolio import models, work_facts
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate

TEAMS = 200
EPICS = 200
FEATURES = 50_000
CHANGES_PER_FEATURE = 10  # created, then eight moves between active and waiting, then done (or still going)
START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = (datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
REPEAT = 3
FLOW_ITEMS = ("feature", "feature", "defect", "risk", "debt")


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        took = seconds(lambda: _generate(runtime))  # noqa: B023  (called at once)
        print(f"  {backend}: {FEATURES:,} features, {FEATURES * CHANGES_PER_FEATURE:,} state changes in {took:.1f} s")
        results += _compare(runtime, backend)
    return results


def _generate(runtime: Runtime) -> None:
    actor = system_actor("bench")
    with runtime.store.unit_of_work(actor) as uow:
        team_ids = [
            teams.team_id(uow, teams.create_team(uow, TeamCreate(key=f"team-{n}", name=f"Team {n}")).key)
            for n in range(TEAMS)
        ]
        epic_ids = [portfolio.create_epic(uow, EpicCreate(title=f"Epic {n}")).id for n in range(EPICS)]
    rng = random.Random(13)
    features, transitions = [], []
    for n in range(FEATURES):
        created = START + timedelta(minutes=rng.randrange(0, 330 * 24 * 60))
        history = _history(n + 1, created, rng)
        row = _feature(n, created, epic_ids[n % EPICS], team_ids[n % TEAMS], FLOW_ITEMS[n % 5])
        # as the product keeps them: the row's state, the time of its last change and its flow facts
        facts = work_facts.from_history((t["at"], t["to_state"]) for t in history)
        last = {"state": history[-1]["to_state"], "state_changed_at": history[-1]["at"]}
        features.append({**row, **last, **facts._asdict()})
        transitions += history
    with runtime.store.engine.begin() as connection:
        connection.execute(insert(models.Feature), features)
        for start in range(0, len(transitions), 50_000):
            connection.execute(insert(models.WorkTransition), transitions[start : start + 50_000])


def _feature(n: int, created: datetime, epic_id: int, team_id: int, flow_item: str) -> dict[str, Any]:
    return {
        "id": n + 1,
        "key": f"FEAT-{n + 1}",
        "epic_id": epic_id,
        "title": f"Feature {n}",
        "description": "",
        "benefit_hypothesis": "",
        "acceptance_criteria": [],
        "feature_type": "business",
        "flow_item": flow_item,
        "team_id": team_id,
        "state": "new",
        "created_at": created,
        "updated_at": created,
        "state_changed_at": created,
    }


def _history(feature_id: int, created: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Created, eight moves alternating active and waiting hours to days apart, then done (4 in 5)."""
    states = ["new", *(("active", "waiting") * 4)]
    states.append("done" if rng.random() < 0.8 else "active")
    at, rows, source = created, [], None
    for state in states:
        rows.append(_transition(feature_id, source, state, at))
        source = state
        at += timedelta(hours=rng.randrange(2, 96))
    return rows


def _transition(feature_id: int, source: str | None, to: str, at: datetime) -> dict[str, Any]:
    return {
        "feature_id": feature_id,
        "story_id": None,
        "from_state": source,
        "to_state": to,
        "at": at,
        "actor_user_id": None,
        "actor_name": "bench",
        "reason": "",
    }


def _seconds_between(backend: str, a: str, b: str) -> str:
    if backend == "postgresql":
        return f"EXTRACT(EPOCH FROM ({b} - {a}))"
    return f"((julianday({b}) - julianday({a})) * 86400.0)"


def _plain(runtime: Runtime, backend: str) -> tuple[int, float | None, float | None, float | None]:
    """Velocity, median and 85th percentile flow time and efficiency, from one plain SQL statement."""
    active = _seconds_between(backend, "at", "next_at")
    flow = _seconds_between(backend, "start_at", "done_at")
    statement = text(f"""
        WITH t AS (
            SELECT feature_id, to_state, at,
                   LEAD(at) OVER (PARTITION BY feature_id ORDER BY at, id) AS next_at
            FROM portfolio_work_transition WHERE feature_id IS NOT NULL AND at < :end
        ), items AS (
            SELECT feature_id,
                   MIN(CASE WHEN to_state IN ('active', 'waiting') THEN at END) AS start_at,
                   MAX(CASE WHEN to_state = 'done' AND next_at IS NULL THEN at END) AS done_at,
                   SUM(CASE WHEN to_state = 'active' AND next_at IS NOT NULL THEN {active} ELSE 0 END) AS active
            FROM t GROUP BY feature_id
        )
        SELECT {flow} AS flow, active FROM items WHERE done_at >= :start AND done_at < :end
    """)
    with runtime.store.engine.connect() as connection:
        rows = connection.execute(statement, {"start": WINDOW[0], "end": WINDOW[1]}).all()
    return _summary(rows)


def _plain_derived(runtime: Runtime, backend: str) -> tuple[int, float | None, float | None, float | None]:
    """The same three measures in plain SQL over the flow facts portfolio keeps on each item (work start,
    active seconds; the row's last change is its completion when done): one pass over the items."""
    flow = _seconds_between(backend, "started_at", "state_changed_at")
    statement = text(f"""
        SELECT {flow} AS flow, active_seconds AS active FROM portfolio_feature
        WHERE state = 'done' AND started_at IS NOT NULL AND state_changed_at >= :start AND state_changed_at < :end
    """)
    with runtime.store.engine.connect() as connection:
        rows = connection.execute(statement, {"start": WINDOW[0], "end": WINDOW[1]}).all()
    return _summary(rows)


def _summary(rows: Sequence[Any]) -> tuple[int, float | None, float | None, float | None]:
    flows = sorted(float(r.flow) for r in rows)
    total = sum(flows)
    p85 = flows[max(-(-85 * len(flows) // 100) - 1, 0)] if flows else None
    efficiency = sum(float(r.active) for r in rows) / total if total else None
    return len(flows), statistics.median(flows) if flows else None, p85, efficiency


def _compare(runtime: Runtime, backend: str) -> list[Result]:
    def product() -> tuple[int, float | None, float | None, float | None]:
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            m = insights.flow_metrics(uow, insights.FlowQuery(), start=WINDOW[0], end=WINDOW[1])
        return m.velocity, m.flow_time_median_seconds, m.flow_time_p85_seconds, m.efficiency

    ours, theirs, derived = product(), _plain(runtime, backend), _plain_derived(runtime, backend)
    print(f"  {backend}: product {ours}, plain SQL {theirs}, plain SQL over the kept facts {derived}")
    assert ours[0] == theirs[0] == derived[0], "the product and the plain SQL disagree on velocity"
    product_s = _best(product)
    plain_s, derived_s = _best(lambda: _plain(runtime, backend)), _best(lambda: _plain_derived(runtime, backend))
    name = (
        f"flow metrics, {FEATURES:,} features / {FEATURES * CHANGES_PER_FEATURE:,} changes, 90-day window ({backend})"
    )
    return [
        Result(
            name,
            product_s * 1000,
            "ms",
            "plain SQL (velocity, flow time, efficiency)",
            plain_s * 1000,
            higher_is_better=False,
        ),
        Result(
            name,
            product_s * 1000,
            "ms",
            "plain SQL over the items' kept flow facts (same three measures)",
            derived_s * 1000,
            higher_is_better=False,
        ),
    ]


def _best(work: Callable[[], object]) -> float:
    return min(seconds(work) for _ in range(REPEAT))
