"""Retention: raw points, rollups and log lines past their periods are deleted in chunks; windows whose raw
points are gone are still answered from the rollups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import FixedClock
from digital_factory.telemetry import models
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, LogLine, MetricKind, Point
from tests.telemetry.builders import NANOS, T0, make_service, nanos, write

SOLD = "business.units_sold"
BATTERY = "drone.battery"


def _hour_of_sales(runtime: Runtime, service: str, start: datetime) -> None:
    """One sale of 1..60 units per minute for an hour, and a battery gauge beside it."""
    base = nanos(start)
    sold = [Point(SOLD, MetricKind.COUNTER, (), base + m * 60 * NANOS, float(m + 1)) for m in range(60)]
    battery = [Point(BATTERY, MetricKind.GAUGE, (), base + m * 60 * NANOS, float(100 - m)) for m in range(60)]
    write(runtime, service, sold + battery)


def _value(runtime: Runtime, query: str, at: datetime) -> float | None:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return telemetry.evaluate(uow, query, at=at).value


def _count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _resolutions(runtime: Runtime) -> dict[int, int]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        rows = uow.session.execute(select(models.Rollup.resolution, func.count()).group_by(models.Rollup.resolution))
        return {int(resolution): int(count) for resolution, count in rows}


def _prune(runtime: Runtime, now: datetime, **retention: int) -> telemetry.Pruned:
    runtime.store.clock = FixedClock(now)
    return telemetry.prune(runtime.store, telemetry.Retention(**retention))


def test_points_past_the_raw_retention_go_and_their_windows_are_answered_from_rollups(runtime: Runtime) -> None:
    service = make_service(runtime)
    _hour_of_sales(runtime, service, T0)  # 40 days before the prune
    _hour_of_sales(runtime, service, T0 + timedelta(days=39))  # one day before it
    queries = {
        f"sum({SOLD}[1h])": 1830.0,  # 1 + 2 + ... + 60; an aligned hour: read from the hour rollup
        f"count({SOLD}[1h])": 60.0,
        f"max({SOLD}[30m])": 45.0,  # minutes 15..44: read from the minute rollups
        f"avg({BATTERY}[1h])": 70.5,
        f"last({BATTERY}[1h])": 41.0,  # the raw point is gone: the newest minute rollup's last
    }
    hour_later = T0 + timedelta(hours=1)
    at = {query: hour_later - timedelta(minutes=15) if "30m" in query else hour_later for query in queries}
    assert {q: _value(runtime, q, at[q]) for q in queries} == queries

    pruned = _prune(runtime, T0 + timedelta(days=40), chunk=7)

    assert pruned.points == 120 and pruned.rollups == 0 and pruned.logs == 0
    assert pruned.transactions == 18  # 120 rows, at most 7 per transaction
    assert _count(runtime, models.Point, models.Point.time_ns < nanos(T0 + timedelta(days=30))) == 0
    assert _count(runtime, models.Point) == 120  # the recent hour of both series stays
    assert _resolutions(runtime) == {60: 240, 3600: 4, 86400: 4}
    assert {q: _value(runtime, q, at[q]) for q in queries} == queries
    recent = T0 + timedelta(days=39, hours=1)
    assert _value(runtime, f"sum({SOLD}[1h])", recent) == 1830.0


def test_rollups_go_after_their_own_periods_and_day_rollups_are_kept_by_default(runtime: Runtime) -> None:
    service = make_service(runtime)
    _hour_of_sales(runtime, service, T0)
    next_midnight = (T0 + timedelta(days=1)).replace(hour=0)

    pruned = _prune(runtime, T0 + timedelta(days=100))
    assert (pruned.points, pruned.rollups) == (120, 120)  # the minute rollups, past 90 days
    assert _resolutions(runtime) == {3600: 2, 86400: 2}
    assert _value(runtime, f"sum({SOLD}[1h])", T0 + timedelta(hours=1)) == 1830.0

    pruned = _prune(runtime, T0 + timedelta(days=500))
    assert pruned.rollups == 2 and _resolutions(runtime) == {86400: 2}
    assert _value(runtime, f"sum({SOLD}[1d])", next_midnight) == 1830.0
    assert _value(runtime, f"min({BATTERY}[1d])", next_midnight) == 41.0

    assert _prune(runtime, T0 + timedelta(days=500), day_rollups_days=365).rollups == 2
    assert _resolutions(runtime) == {}
    assert _value(runtime, f"sum({SOLD}[1d])", next_midnight) == 0.0


def test_log_lines_go_after_their_period_and_beyond_the_newest_per_service(runtime: Runtime) -> None:
    fleet, shop = make_service(runtime, "fleet-api"), make_service(runtime, "shop-web")
    now = T0 + timedelta(days=20)

    def lines(start: datetime, count: int) -> tuple[LogLine, ...]:
        return tuple(LogLine(nanos(start) + i * NANOS, "INFO", f"line {i}") for i in range(count))

    with runtime.store.unit_of_work(system_actor("ingest")) as uow:
        write_batches(
            uow,
            [
                Batch(fleet, "prod", logs=lines(T0, 5) + lines(now - timedelta(days=1), 8)),
                Batch(shop, "prod", logs=lines(now - timedelta(hours=1), 3)),
            ],
        )
    pruned = _prune(runtime, now, logs_per_service=6, chunk=4)

    assert pruned.logs == 5 + 2
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        kept = uow.session.execute(
            select(models.LogRecord.body, models.LogRecord.time_ns).order_by(models.LogRecord.time_ns)
        ).all()
    fleet_start = nanos(now - timedelta(days=1))
    shop_start = nanos(now - timedelta(hours=1))
    assert [(body, time) for body, time in kept] == [
        *((f"line {i}", fleet_start + i * NANOS) for i in range(2, 8)),
        *((f"line {i}", shop_start + i * NANOS) for i in range(3)),
    ]


def test_nothing_to_delete_takes_one_transaction(runtime: Runtime) -> None:
    service = make_service(runtime)
    _hour_of_sales(runtime, service, T0)
    pruned = _prune(runtime, T0 + timedelta(days=1))
    assert (pruned.total, pruned.transactions) == (0, 1)
    assert _count(runtime, models.Point) == 120
