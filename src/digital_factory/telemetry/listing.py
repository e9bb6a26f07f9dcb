"""What a team looks at first: a service's series, its latest log lines and their counts by severity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog.service import service_id
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.metricstore import SEVERITY_RANK
from digital_factory.telemetry.schemas import LogLineOut, SeriesInfo, SeverityCount
from digital_factory.telemetry.summaries import NANOS

_series = cast(Table, models.Series.__table__)
_logs = cast(Table, models.LogRecord.__table__)
MAX_LIST = 500


def list_series(
    uow: UnitOfWork, service: str, *, environment: str | None = None, prefix: str = "", limit: int = 200
) -> list[SeriesInfo]:
    """The series a service sent, by metric name (at most `limit`, up to 500)."""
    require(uow.actor, Permission.READ)
    query = select(_series).where(_series.c.service_id == service_id(uow, service))
    if environment is not None:
        query = query.where(_series.c.environment == environment)
    if prefix:
        query = query.where(_series.c.metric.startswith(prefix, autoescape=True))
    rows = uow.session.connection().execute(
        query.order_by(_series.c.metric, _series.c.id).limit(min(max(limit, 1), MAX_LIST))
    )
    return [
        SeriesInfo(
            metric=row.metric,
            kind=row.kind,
            unit=row.unit,
            service=service,
            environment=row.environment or None,
            attributes=dict(row.attributes or {}),
            last_at=_moment(row.last_time_ns),
        )
        for row in rows
    ]


def metric_names(uow: UnitOfWork, service: str | None = None) -> list[str]:
    """Every metric name sent (by one service, when given): for the explorer's picker."""
    require(uow.actor, Permission.READ)
    query = select(_series.c.metric).distinct().order_by(_series.c.metric)
    if service is not None:
        query = query.where(_series.c.service_id == service_id(uow, service))
    return list(uow.session.connection().execute(query.limit(MAX_LIST * 4)).scalars())


def recent_logs(
    uow: UnitOfWork, service: str, *, environment: str | None = None, severity: str | None = None, limit: int = 50
) -> list[LogLineOut]:
    """A service's newest log lines, at or above `severity` when given."""
    require(uow.actor, Permission.READ)
    query = select(_logs).where(_logs.c.service_id == service_id(uow, service))
    if environment is not None:
        query = query.where(_logs.c.environment == environment)
    if severity is not None:
        query = query.where(_logs.c.severity_rank >= SEVERITY_RANK.get(severity.upper(), 1))
    rows = uow.session.connection().execute(
        query.order_by(_logs.c.time_ns.desc(), _logs.c.id.desc()).limit(min(max(limit, 1), MAX_LIST))
    )
    return [
        LogLineOut(
            at=datetime.fromtimestamp(row.time_ns / NANOS, tz=UTC),
            service=service,
            environment=row.environment or None,
            severity=row.severity,
            body=row.body,
            trace_id=row.trace_id,
            attributes=dict(row.attributes or {}),
        )
        for row in rows
    ]


def severity_counts(uow: UnitOfWork, service: str, *, since: datetime) -> list[SeverityCount]:
    """How many log lines a service sent since `since`, by severity (most severe first)."""
    require(uow.actor, Permission.READ)
    since_ns = int(since.timestamp()) * NANOS
    rows = uow.session.connection().execute(
        select(_logs.c.severity, func.max(_logs.c.severity_rank), func.count())
        .where(_logs.c.service_id == service_id(uow, service), _logs.c.time_ns >= since_ns)
        .group_by(_logs.c.severity)
    )
    ordered = sorted(rows, key=lambda row: -row[1])
    return [SeverityCount(severity=row[0], count=row[2]) for row in ordered]


def _moment(nanos: int | None) -> datetime | None:
    return None if nanos is None else datetime.fromtimestamp(nanos / NANOS, tz=UTC)
