"""Indicator queries over 10 million points: `sum`, `avg` and `p95` over a 30-day window through the metric
store's query path (the window plan over day, hour and minute rollups, raw points at the ragged edges;
quantiles by rank over the raw points) beside the same aggregate in plain SQL over the same points table,
SQLite and PostgreSQL, in the same run.

The points are generated set-based (a numbers table crossed with the series), the rollups from them with
GROUP BY, so they agree with what `write_batches` would have written; generation is timed apart."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, text

from bench.harness import Result, each_store, seconds
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, MetricKind, Point

SERIES = 40
PER_SERIES = 250_000  # one point every 10 s: 28.9 days per series, 10,000,000 points in all
STEP_NS = 10 * 1_000_000_000
START = datetime(2026, 9, 1, tzinfo=UTC)
T0 = int(START.timestamp()) * 1_000_000_000
AT = START + timedelta(days=29, hours=3, minutes=17, seconds=25)  # a ragged end: every resolution is read
METRIC = "drone.load"
REPEAT = 3
T = TypeVar("T")


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        took = seconds(lambda: _generate(runtime))  # noqa: B023  (called at once)
        print(f"  {backend}: {SERIES * PER_SERIES:,} points and their rollups generated in {took:.1f} s")
        results += _measure(runtime, backend)
    return results


def _generate(runtime: Runtime) -> None:
    with runtime.store.unit_of_work(system_actor("bench")) as uow:
        catalog.register_service(uow, ServiceCreate(key="fleet-api", name="Fleet API"))
        first = [Point(METRIC, MetricKind.GAUGE, (("drone", f"d{n}"),), T0, 0.0) for n in range(SERIES)]
        write_batches(uow, [Batch(service="fleet-api", environment="", points=tuple(first))])
    with runtime.store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_n (n BIGINT PRIMARY KEY)"))
        for start in range(0, PER_SERIES, 50_000):
            connection.execute(
                text("INSERT INTO bench_n (n) VALUES (:n)"), [{"n": n} for n in range(start, start + 50_000)]
            )
        params = {"t0": T0, "step": STEP_NS}
        connection.execute(text("DELETE FROM telemetry_point"))
        connection.execute(text("DELETE FROM telemetry_rollup"))
        connection.execute(
            text(
                "INSERT INTO telemetry_point (series_id, time_ns, value, buckets) "
                "SELECT s.id, :t0 + n.n * :step, (n.n * 7 + s.id) % 100, NULL "
                "FROM telemetry_series s CROSS JOIN bench_n n ORDER BY s.id, n.n"
            ),
            params,
        )
        for resolution in (60, 3600, 86400):
            connection.execute(
                text(
                    "INSERT INTO telemetry_rollup "
                    "(series_id, resolution, start_ns, count, total, minimum, maximum, last_ns, last) "
                    "SELECT series_id, :resolution, time_ns - time_ns % :width, count(*), sum(value), min(value), "
                    "max(value), max(time_ns), ((max(time_ns) - :t0) / :step * 7 + series_id) % 100 "
                    "FROM telemetry_point GROUP BY series_id, time_ns - time_ns % :width"
                ),
                {**params, "resolution": resolution, "width": resolution * 1_000_000_000},
            )
        connection.execute(text("DROP TABLE bench_n"))
    with runtime.store.engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _measure(runtime: Runtime, backend: str) -> list[Result]:
    end_ns = int(AT.timestamp()) * 1_000_000_000
    window = {"start": end_ns - 30 * 86_400 * 1_000_000_000, "end": end_ns}
    where = "WHERE time_ns >= :start AND time_ns < :end"
    results = []
    for aggregation in ("sum", "avg"):
        plain = text(f"SELECT {aggregation}(value) FROM telemetry_point {where}")

        def aggregate(connection: Connection, statement: Any = plain) -> Any:
            return connection.execute(statement, window).scalar()

        results.append(_compare(runtime, backend, aggregation, aggregate))
    results.append(_compare(runtime, backend, "p95", lambda c: _plain_p95(c, backend, where, window), repeat=1))
    return results


def _plain_p95(connection: Connection, backend: str, where: str, window: dict[str, int]) -> float:
    """PostgreSQL's own percentile_cont; SQLite has none, so its rank is read with ORDER BY … OFFSET."""
    if backend == "postgresql":
        query = f"SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY value) FROM telemetry_point {where}"
        return float(connection.execute(text(query), window).scalar_one())
    count = int(connection.execute(text(f"SELECT count(*) FROM telemetry_point {where}"), window).scalar_one())
    position = 0.95 * (count - 1)
    index = int(position)
    low, high = (
        float(v)
        for v in connection.execute(
            text(f"SELECT value FROM telemetry_point {where} ORDER BY value LIMIT 2 OFFSET {index}"), window
        ).scalars()
    )
    return low + (high - low) * (position - index)


def _compare(
    runtime: Runtime, backend: str, aggregation: str, plain: Callable[[Connection], Any], repeat: int = REPEAT
) -> Result:
    query = f"{aggregation}({METRIC}[30d])"

    def product() -> float | None:
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            return telemetry.evaluate(uow, query, at=AT).value

    def baseline() -> float:
        with runtime.store.engine.connect() as connection:
            return float(plain(connection))

    (ours, answer), (theirs, expected) = _median_ms(product, repeat), _median_ms(baseline, repeat)
    assert abs(float(answer or 0) - expected) < 1e-6 * max(1.0, abs(expected)), (query, backend, answer, expected)
    return Result(
        f"indicator query `{query}` over {SERIES * PER_SERIES / 1e6:.0f}M points, {backend} (median ms)",
        ours,
        "ms",
        "the same aggregate in plain SQL over the points table",
        theirs,
        higher_is_better=False,
    )


def _median_ms(work: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median time of `repeat` runs (ms) and the last run's answer."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), answer
