"""Retention: raw points, each rollup resolution and log lines are kept for a while, then deleted.

Deletion goes in bounded chunks, each in its own short transaction, so ingestion is never held up behind
one large delete. Every delete reads a primary key or index range (a series' points, a series' rollups of
one resolution, a service's log lines), never a scan of the whole table. Windows whose raw points are gone
are still answered from the rollups that remain (see the window plan in `summaries`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, delete, select

from digital_factory.core.actor import system_actor
from digital_factory.store.uow import Store
from digital_factory.telemetry import models
from digital_factory.telemetry.metricstore import RESOLUTIONS
from digital_factory.telemetry.summaries import NANOS

_series = cast(Table, models.Series.__table__)
_points = cast(Table, models.Point.__table__)
_rollups = cast(Table, models.Rollup.__table__)
_logs = cast(Table, models.LogRecord.__table__)
DAY_NS = 86_400 * NANOS


@dataclass(frozen=True)
class Retention:
    """How long each kind of telemetry is kept, in days (0: forever), and the rows one transaction deletes."""

    points_days: int = 30
    minute_rollups_days: int = 90
    hour_rollups_days: int = 400
    day_rollups_days: int = 0
    logs_days: int = 14
    logs_per_service: int = 100_000
    chunk: int = 5_000

    def rollup_days(self, resolution: int) -> int:
        return {60: self.minute_rollups_days, 3600: self.hour_rollups_days, 86400: self.day_rollups_days}[resolution]


@dataclass
class Pruned:
    """Rows deleted by one prune, per kind, and the transactions it took."""

    points: int = 0
    rollups: int = 0
    logs: int = 0
    transactions: int = 0

    @property
    def total(self) -> int:
        return self.points + self.rollups + self.logs


@dataclass
class _Target:
    """Rows of one key range to delete: `key` values of `table` rows matching `where` (led by the series or
    service, so both the choice and the delete read one index range), oldest first."""

    kind: str  # the Pruned field it counts towards
    table: Table
    key: ColumnElement[Any]
    where: tuple[ColumnElement[bool], ...]
    order: tuple[ColumnElement[Any], ...] = ()
    offset: int = 0  # keep this many rows first in `order` (a count limit)
    done: bool = False

    def delete_some(self, connection: Connection, limit: int) -> int:
        chosen = select(self.key).where(*self.where).order_by(*(self.order or (self.key,))).limit(limit)
        if self.offset:
            chosen = chosen.offset(self.offset)
        removed = connection.execute(delete(self.table).where(*self.where, self.key.in_(chosen))).rowcount
        self.done = removed < limit
        return int(removed)


def prune(store: Store, retention: Retention) -> Pruned:
    """Delete the telemetry older than `retention`, at most `retention.chunk` rows per transaction."""
    actor = system_actor("retention")
    with store.unit_of_work(actor, write=False) as uow:
        now_ns = int(uow.clock.now().timestamp()) * NANOS
        connection = uow.session.connection()
        series = list(connection.execute(select(_series.c.id).order_by(_series.c.id)).scalars())
        services = list(
            connection.execute(select(_logs.c.service_id).distinct().order_by(_logs.c.service_id)).scalars()
        )
    pending = deque([*_series_targets(series, retention, now_ns), *_log_targets(services, retention, now_ns)])
    pruned = Pruned()
    while pending:
        with store.unit_of_work(actor) as uow:
            _delete_chunk(uow.session.connection(), pending, retention.chunk, pruned)
        pruned.transactions += 1
    return pruned


def _delete_chunk(connection: Connection, pending: deque[_Target], chunk: int, pruned: Pruned) -> None:
    budget = chunk
    while pending and budget > 0:
        target = pending[0]
        removed = target.delete_some(connection, budget)
        setattr(pruned, target.kind, getattr(pruned, target.kind) + removed)
        budget -= removed
        if target.done:
            pending.popleft()


def _series_targets(series: Sequence[int], retention: Retention, now_ns: int) -> Iterator[_Target]:
    for ident in series:
        yield _Target(
            "points",
            _points,
            _points.c.time_ns,
            (_points.c.series_id == ident, _points.c.time_ns < now_ns - retention.points_days * DAY_NS),
        )
        for resolution in RESOLUTIONS:
            days = retention.rollup_days(resolution)
            if days:
                yield _Target(
                    "rollups",
                    _rollups,
                    _rollups.c.start_ns,
                    (
                        _rollups.c.series_id == ident,
                        _rollups.c.resolution == resolution,
                        _rollups.c.start_ns < now_ns - days * DAY_NS,
                    ),
                )


def _log_targets(services: Sequence[int], retention: Retention, now_ns: int) -> Iterator[_Target]:
    for ident in services:
        mine = _logs.c.service_id == ident
        yield _Target("logs", _logs, _logs.c.id, (mine, _logs.c.time_ns < now_ns - retention.logs_days * DAY_NS))
        newest_first = (_logs.c.time_ns.desc(), _logs.c.id.desc())
        yield _Target("logs", _logs, _logs.c.id, (mine,), order=newest_first, offset=retention.logs_per_service)
