"""The metric store's write path: points per second through `write_batches` (series lookup, insert skipping
re-sends, minute/hour/day rollups, one transaction per batch) beside a raw batched insert of the same rows
into a plain table of the same shape in the same store, one transaction per batch too. SQLite and
PostgreSQL, each in the same run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from bench.harness import Result, each_store, plain_points, seconds
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, MetricKind, Point

SERIES = 200
STEPS = 1_000  # one point per series every 10 s: 200,000 points
PER_BATCH = 25  # steps per batch: 5,000 points, about one collector export
T0 = 1_790_000_000 * 1_000_000_000
NANOS = 1_000_000_000


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        figure, baseline = _measure(runtime)
        results.append(
            Result(
                f"metric store write, {backend} (write_batches, {SERIES * STEPS:,} points in batches of "
                f"{SERIES * PER_BATCH:,})",
                figure,
                "points/s",
                "raw batched insert (executemany) of the same rows, plain table, same store",
                baseline,
            )
        )
    return results


def _measure(runtime: Runtime) -> tuple[float, float]:
    with runtime.store.unit_of_work(system_actor("bench")) as uow:
        catalog.register_service(uow, ServiceCreate(key="fleet-api", name="Fleet API"))
    batches = [_batch(first) for first in range(0, STEPS, PER_BATCH)]

    def through_the_store() -> None:
        for batch in batches:
            with runtime.store.unit_of_work(system_actor("bench")) as uow:
                written = write_batches(uow, [batch])
            assert written.accepted == len(batch.points), written

    store_seconds = seconds(through_the_store)
    plain = plain_points(runtime.store.engine)
    rows = [[_row(point) for point in batch.points] for batch in batches]

    def raw_insert() -> None:
        for chunk in rows:
            with runtime.store.engine.begin() as connection:
                connection.execute(insert(plain), chunk)

    raw_seconds = seconds(raw_insert)
    points = SERIES * STEPS
    return points / store_seconds, points / raw_seconds


def _batch(first: int) -> Batch:
    points = tuple(
        Point(
            "red.requests",
            MetricKind.COUNTER,
            (("route", f"/orders/{series}"),),
            T0 + step * 10 * NANOS,
            float(step % 7 + series % 3),
        )
        for step in range(first, first + PER_BATCH)
        for series in range(SERIES)
    )
    return Batch(service="fleet-api", environment=None, points=points)


def _row(point: Point) -> dict[str, Any]:
    series = int(point.attributes[0][1].rsplit("/", 1)[1]) + 1
    return {"series_id": series, "time_ns": point.time_ns, "value": point.value, "buckets": None}
