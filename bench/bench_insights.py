"""Attribution of a KPI to a flag release: 14 days before against 14 after (daily samples) plus the
flag-on/flag-off cohorts, over one point a minute (60,480 points), beside one indicator query over the same
28 days, on SQLite and PostgreSQL in the same run.

The release is at 10:17 UTC: its clock hour is on neither side, so the daily steps start on whole hours and
read the hour rollups (a release mid-hour read raw points, ten times slower, before that rule); the
baseline's window is read from rollups as any indicator is."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.harness import Result, each_store, seconds
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import FixedClock
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import AttributionQuery
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange, FlagCreate
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, MetricKind, Point

RELEASED = datetime(2026, 10, 1, 10, 17, tzinfo=UTC)
DAYS = 14
METRIC = "drone.orders"
REPEAT = 5
NANOS = 1_000_000_000


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        took = seconds(lambda: _seed(runtime))  # noqa: B023  (called at once)
        print(f"  {backend}: a release and {_points():,} points written in {took:.1f} s")
        results.append(_measure(runtime, backend))
    return results


def _points() -> int:
    return DAYS * 1440 * 3  # one a minute before; one a minute per variant after


def _seed(runtime: Runtime) -> None:
    clock = FixedClock(RELEASED)
    runtime.store.clock = clock
    actor = system_actor("bench")
    with runtime.store.unit_of_work(actor) as uow:
        catalog.register_service(uow, ServiceCreate(key="shop", name="Shop"))
        environment = catalog.list_environments(uow, "shop")[0].name
        releases.create_flag(uow, "shop", FlagCreate.model_validate({"key": "one-click"}))
        serve = {"rollout": [{"variant": "on", "percent": 50}, {"variant": "off", "percent": 50}]}
        releases.request_change(
            uow, "shop", "one-click", environment, FlagChange.model_validate({"enabled": True, "default": serve})
        )
    start = int((RELEASED - timedelta(days=DAYS)).timestamp()) * NANOS
    points: list[Point] = []
    for minute in range(DAYS * 1440 * 2):
        at = start + minute * 60 * NANOS
        variants = ("on", "off") if minute >= DAYS * 1440 else ("",)
        points += [
            Point(
                METRIC, MetricKind.COUNTER, (("feature_flag.variant", v),) if v else (), at, float(minute % 7 + len(v))
            )
            for v in variants
        ]
    with runtime.store.unit_of_work(actor) as uow:
        for chunk in range(0, len(points), 5_000):
            write_batches(
                uow, [Batch(service="shop", environment=environment, points=tuple(points[chunk : chunk + 5_000]))]
            )
    clock.advance(timedelta(days=DAYS, hours=1))


def _median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(runtime: Runtime, backend: str) -> Result:
    actor = system_actor("bench")
    query = AttributionQuery(flag="one-click", kpi=f"sum({METRIC}[1d])", days=DAYS)
    end = RELEASED + timedelta(days=DAYS)

    def attribution() -> None:
        with runtime.store.unit_of_work(actor, write=False) as uow:
            found = insights.attribute(uow, query).releases[0]
            assert found.before_after.n_a == DAYS and found.cohorts, found

    def indicator() -> None:
        with runtime.store.unit_of_work(actor, write=False) as uow:
            assert telemetry.evaluate(uow, f"sum({METRIC}[{2 * DAYS}d])", at=end).value

    return Result(
        name=f"attribution of a flag release, {DAYS} + {DAYS} daily samples and cohorts, {backend} (median ms)",
        figure=_median_ms(attribution),
        unit="ms",
        baseline_name=f"one indicator query over the same {2 * DAYS} days (median ms)",
        baseline=_median_ms(indicator),
        higher_is_better=False,
    )
