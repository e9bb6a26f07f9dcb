"""The metric store's write side: batches of points in, one transaction, nothing counted twice.

A series is found or made once per batch; points are inserted in multi-row statements that skip a point
already stored (same series and time: a re-sent batch), cumulative sums and histograms become increments
against the series' last cumulative value, and what is new is added to the minute, hour and day rollups."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import BigInteger, BindParameter, Connection, Table, bindparam, case, func, select, tuple_, update

from digital_factory.catalog.service import service_id
from digital_factory.store.bulk import execute_many, insert_new, insert_or_merge
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.points import (
    Attributes,
    Batch,
    Buckets,
    LogLine,
    MetricKind,
    Point,
    Temporality,
    Written,
)

RESOLUTIONS = (60, 3600, 86400)
"""Rollup resolutions in seconds: minute, hour, day."""
SEVERITY_RANK = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}

_series = cast(Table, models.Series.__table__)
_points = cast(Table, models.Point.__table__)
_rollups = cast(Table, models.Rollup.__table__)
_logs = cast(Table, models.LogRecord.__table__)


@dataclass
class _State:
    """A series' cumulative state as the batch moves it on."""

    last_time_ns: int | None
    start_ns: int | None
    value: float | None
    buckets: dict[str, Any] | None


def write_batches(uow: UnitOfWork, batches: Sequence[Batch]) -> Written:
    """Store `batches` in the uow's transaction (the caller commits, then acknowledges)."""
    connection = uow.session.connection()
    accepted = duplicates = 0
    for batch in batches:
        owner = service_id(uow, batch.service)
        environment = batch.environment or models.NO_ENVIRONMENT
        new, old = _write_points(uow, connection, owner, environment, batch.points)
        logged = _write_logs(connection, owner, environment, batch.logs)
        accepted += new + logged
        duplicates += old + len(batch.logs) - logged
    return Written(accepted=accepted, duplicates=duplicates)


def attributes_key(attributes: Iterable[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(attributes), separators=(",", ":")).encode()).hexdigest()


@functools.lru_cache(maxsize=65_536)
def _key_of(attributes: Attributes) -> str:
    """`attributes_key`, computed once per attribute set a process sees (every point of a series has it)."""
    return attributes_key(attributes)


def _write_points(
    uow: UnitOfWork, connection: Connection, owner: int, environment: str, points: Sequence[Point]
) -> tuple[int, int]:
    if not points:
        return 0, 0
    ids = _series_ids(uow, connection, owner, environment, points)
    rows, skipped = _point_rows(connection, ids, points)
    # one order for every writer, so two batches touching the same rows wait for each other, never deadlock
    rows.sort(key=itemgetter("series_id", "time_ns"))
    inserted = insert_new(connection, _points, rows, returning=("series_id", "time_ns"))
    _roll_up(connection, rows, None if len(inserted) == len(rows) else {(series, time) for series, time in inserted})
    _touch(connection, inserted)
    return len(inserted), skipped + len(rows) - len(inserted)


def _touch(connection: Connection, inserted: list[tuple[Any, ...]]) -> None:
    """Move each series' last point time on (what lists show as "last seen")."""
    newest: dict[int, int] = {}
    for series, time_ns in inserted:
        newest[series] = max(time_ns, newest.get(series, time_ns))
    if not newest:
        return
    moment: BindParameter[int] = bindparam("moment", type_=BigInteger)
    execute_many(
        connection,
        update(_series)
        .where(_series.c.id == bindparam("series"))
        .values(
            last_time_ns=case((func.coalesce(_series.c.last_time_ns, 0) < moment, moment), else_=_series.c.last_time_ns)
        ),
        [{"series": series, "moment": time_ns} for series, time_ns in sorted(newest.items())],
        "telemetry.touch",
    )


def _series_ids(
    uow: UnitOfWork, connection: Connection, owner: int, environment: str, points: Sequence[Point]
) -> dict[tuple[str, Attributes], int]:
    """Each (metric, attributes) of the points to its series id, making the series that are new."""
    named = {(p.metric, p.attributes): p for p in points}  # the key is hashed once per series, not per point
    wanted = {(metric, _key_of(attributes)): p for (metric, attributes), p in named.items()}
    found = _find_series(connection, owner, environment, wanted)
    missing = sorted(key for key in wanted if key not in found)
    if missing:
        now = uow.clock.now()
        insert_new(connection, _series, [_series_row(owner, environment, key, wanted[key], now) for key in missing])
        found |= _find_series(connection, owner, environment, {key: wanted[key] for key in missing})
    return {(metric, attributes): found[(metric, _key_of(attributes))] for metric, attributes in named}


def _find_series(
    connection: Connection, owner: int, environment: str, wanted: dict[tuple[str, str], Point]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        rows = connection.execute(
            select(_series.c.metric, _series.c.attributes_key, _series.c.id).where(
                _series.c.service_id == owner,
                _series.c.environment == environment,
                tuple_(_series.c.metric, _series.c.attributes_key).in_(keys[start : start + 500]),
            )
        )
        found |= {(metric, key): series for metric, key, series in rows}
    return found


def _series_row(owner: int, environment: str, key: tuple[str, str], point: Point, now: Any) -> dict[str, Any]:
    return {
        "service_id": owner,
        "environment": environment,
        "metric": point.metric,
        "kind": point.kind.value,
        "unit": point.unit[:64],
        "attributes": dict(point.attributes),
        "attributes_key": key[1],
        "created_at": now,
    }


def _point_rows(
    connection: Connection, ids: dict[tuple[str, Attributes], int], points: Sequence[Point]
) -> tuple[list[dict[str, Any]], int]:
    """The rows to insert (cumulative points as increments) and how many points were already seen."""
    cumulative: dict[int, list[Point]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    for point in points:
        series = ids[(point.metric, point.attributes)]
        if point.temporality is Temporality.CUMULATIVE and point.kind is not MetricKind.GAUGE:
            cumulative[series].append(point)
        else:
            buckets = _buckets_json(point.buckets) if point.buckets else None
            rows.append({"series_id": series, "time_ns": point.time_ns, "value": point.value, "buckets": buckets})
    skipped = 0
    if cumulative:
        increments, skipped = _increments(connection, cumulative)
        rows.extend(increments)
    return rows, skipped


def _row(series: int, time_ns: int, value: float, buckets: Buckets | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(buckets, Buckets):
        buckets = _buckets_json(buckets)
    return {"series_id": series, "time_ns": time_ns, "value": value, "buckets": buckets}


def _buckets_json(buckets: Buckets) -> dict[str, Any]:
    return {
        "bounds": list(buckets.bounds),
        "counts": list(buckets.counts),
        "sum": buckets.sum,
        "min": buckets.min,
        "max": buckets.max,
    }


def _increments(connection: Connection, cumulative: dict[int, list[Point]]) -> tuple[list[dict[str, Any]], int]:
    """Cumulative points as increments against each series' last one; the series' state moves on with them.

    A point no newer than the series' last is a re-send (skipped); a new start time, or a sum that went down
    for a counter, is a reset: the increment is the value itself."""
    states = _load_states(connection, list(cumulative))
    rows: list[dict[str, Any]] = []
    skipped = 0
    for series, points in cumulative.items():
        state = states[series]
        for point in sorted(points, key=lambda p: p.time_ns):
            if state.last_time_ns is not None and point.time_ns <= state.last_time_ns:
                skipped += 1
                continue
            rows.append(_increment(series, state, point))
    _save_states(connection, states, set(cumulative))
    return rows, skipped


def _increment(series: int, state: _State, point: Point) -> dict[str, Any]:
    same_run = state.value is not None and state.start_ns == point.start_ns
    buckets = _buckets_json(point.buckets) if point.buckets else None
    if same_run and not (point.kind is MetricKind.COUNTER and point.value < (state.value or 0.0)):
        value = point.value - (state.value or 0.0)
        change = _bucket_change(buckets, state.buckets)
    else:
        value, change = point.value, buckets
    state.last_time_ns, state.start_ns, state.value, state.buckets = point.time_ns, point.start_ns, point.value, buckets
    return _row(series, point.time_ns, value, change)


def _bucket_change(now: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Any] | None:
    if now is None or before is None or now["bounds"] != before["bounds"]:
        return now
    counts = [a - b for a, b in zip(now["counts"], before["counts"], strict=True)]
    if any(count < 0 for count in counts):
        return now
    total = None if now["sum"] is None or before["sum"] is None else now["sum"] - before["sum"]
    return {"bounds": now["bounds"], "counts": counts, "sum": total, "min": now["min"], "max": now["max"]}


def _load_states(connection: Connection, series: list[int]) -> dict[int, _State]:
    query = select(
        _series.c.id,
        _series.c.last_time_ns,
        _series.c.cumulative_start_ns,
        _series.c.cumulative_value,
        _series.c.cumulative_buckets,
    ).where(_series.c.id.in_(series))
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()  # two writers of one series take turns; SQLite has one writer anyway
    return {row[0]: _State(row[1], row[2], row[3], row[4]) for row in connection.execute(query)}


def _save_states(connection: Connection, states: dict[int, _State], series: set[int]) -> None:
    for ident in sorted(series):
        state = states[ident]
        connection.execute(
            update(_series)
            .where(_series.c.id == ident)
            .values(
                last_time_ns=state.last_time_ns,
                cumulative_start_ns=state.start_ns,
                cumulative_value=state.value,
                cumulative_buckets=state.buckets,
            )
        )


def _roll_up(connection: Connection, rows: list[dict[str, Any]], inserted: set[tuple[int, int]] | None) -> None:
    """Add the newly stored points (all `rows` when `inserted` is None) to the minute, hour and day rollups of
    their series: folded here first, so each bucket is one row of one upsert."""
    finest, *coarser = RESOLUTIONS
    totals: dict[tuple[int, int, int], list[Any]] = dict(_minutes(rows, inserted, finest * 1_000_000_000))
    for (series, _, start), total in list(totals.items()):  # hours and days from the minutes: fewer folds
        for resolution in coarser:
            _fold(totals, (series, resolution, start - start % (resolution * 1_000_000_000)), list(total))
    insert_or_merge(
        connection,
        _rollups,
        [_rollup_row(key, total) for key, total in sorted(totals.items())],
        key=("series_id", "resolution", "start_ns"),
        add=("count", "total"),
        least=("minimum",),
        greatest=("maximum",),
        latest=("last_ns", ("last",)),
    )


def _minutes(
    rows: list[dict[str, Any]], inserted: set[tuple[int, int]] | None, step: int
) -> dict[tuple[int, int, int], list[Any]]:
    """The rows folded by (series, minute): count, total, least, greatest, last time, last value."""
    minutes: dict[tuple[int, int, int], list[Any]] = {}
    resolution = step // 1_000_000_000
    for row in rows:
        series, time_ns, value = row["series_id"], row["time_ns"], row["value"]
        if inserted is not None and (series, time_ns) not in inserted:
            continue
        key = (series, resolution, time_ns - time_ns % step)
        total = minutes.get(key)
        if total is None:
            minutes[key] = [1, value, value, value, time_ns, value]
            continue
        total[0] += 1
        total[1] += value
        total[2] = min(total[2], value)
        total[3] = max(total[3], value)
        if time_ns >= total[4]:
            total[4], total[5] = time_ns, value
    return minutes


def _fold(totals: dict[tuple[int, int, int], list[Any]], key: tuple[int, int, int], part: list[Any]) -> None:
    """Add `part` (count, total, least, greatest, last time, last value) into the bucket at `key`."""
    total = totals.get(key)
    if total is None:
        totals[key] = part
        return
    total[0] += part[0]
    total[1] += part[1]
    total[2] = min(total[2], part[2])
    total[3] = max(total[3], part[3])
    if part[4] >= total[4]:
        total[4], total[5] = part[4], part[5]


def _rollup_row(key: tuple[int, int, int], total: list[Any]) -> dict[str, Any]:
    series, resolution, start = key
    count, summed, low, high, last_ns, last = total
    return {
        "series_id": series,
        "resolution": resolution,
        "start_ns": start,
        "count": count,
        "total": summed,
        "minimum": low,
        "maximum": high,
        "last_ns": last_ns,
        "last": last,
    }


def _write_logs(connection: Connection, owner: int, environment: str, logs: Sequence[LogLine]) -> int:
    if not logs:
        return 0
    rows = [_log_row(owner, environment, line) for line in logs]
    return len(insert_new(connection, _logs, rows, returning=("id",)))


def _log_row(owner: int, environment: str, line: LogLine) -> dict[str, Any]:
    identity = json.dumps([environment, line.time_ns, line.severity, line.body, line.trace_id, line.attributes])
    return {
        "service_id": owner,
        "environment": environment,
        "time_ns": line.time_ns,
        "severity": line.severity,
        "severity_rank": SEVERITY_RANK.get(line.severity, 9),
        "body": line.body,
        "trace_id": line.trace_id,
        "attributes": dict(line.attributes),
        "digest": hashlib.sha256(identity.encode()).hexdigest(),
    }
