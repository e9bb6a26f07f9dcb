"""What a team looks at first: the services that sent telemetry, a service's series, its latest log lines and
their counts by severity."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, func, select, union_all

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog.service import service_id, service_ids, service_refs_by_id
from digital_factory.core.errors import NotFound
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.metricstore import SEVERITY_RANK
from digital_factory.telemetry.schemas import LogLineOut, Sender, SeriesInfo, SeverityCount
from digital_factory.telemetry.summaries import NANOS

_series = cast(Table, models.Series.__table__)
_logs = cast(Table, models.LogRecord.__table__)
MAX_LIST = 500


def services_sending(uow: UnitOfWork, page: PageRequest) -> Page[Sender]:
    """The services that sent metrics or logs, by key, a page at a time, each with the newest moment it sent:
    one query finds them (per service, not per series or line), one more names them."""
    require(uow.actor, Permission.READ)
    sent = union_all(
        select(_series.c.service_id, func.max(_series.c.last_time_ns).label("last_ns")).group_by(_series.c.service_id),
        select(_logs.c.service_id, func.max(_logs.c.time_ns).label("last_ns")).group_by(_logs.c.service_id),
    ).subquery()
    rows = uow.session.connection().execute(
        select(sent.c.service_id, func.max(sent.c.last_ns)).group_by(sent.c.service_id)
    )
    last = {ident: last_ns for ident, last_ns in rows}
    refs = sorted(service_refs_by_id(uow, last).items(), key=lambda item: item[1].key)
    shown = refs[page.offset : page.offset + page.limit]
    return Page(
        items=[Sender(key=ref.key, name=ref.name, last_seen=_moment(last[ident])) for ident, ref in shown],
        total=len(refs),
        limit=page.limit,
        offset=page.offset,
    )


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


def severity_counts_of(
    uow: UnitOfWork, services: Collection[str], *, since: datetime
) -> dict[str, list[SeverityCount]]:
    """`severity_counts` of each service named (by key), in one query however many services."""
    require(uow.actor, Permission.READ)
    ids = service_ids(uow, services)
    unknown = sorted(set(services) - set(ids))
    if unknown:
        raise NotFound(f"no service with the key {unknown[0]!r}")
    keys = {ident: key for key, ident in ids.items()}
    found: dict[str, list[SeverityCount]] = {key: [] for key in ids}
    if not keys:
        return found
    rows = uow.session.connection().execute(
        select(_logs.c.service_id, _logs.c.severity, func.max(_logs.c.severity_rank), func.count())
        .where(_logs.c.service_id.in_(keys), _logs.c.time_ns >= int(since.timestamp()) * NANOS)
        .group_by(_logs.c.service_id, _logs.c.severity)
    )
    for ident, severity, _, count in sorted(rows, key=lambda row: -row[2]):
        found[keys[ident]].append(SeverityCount(severity=severity, count=count))
    return found


def _moment(nanos: int | None) -> datetime | None:
    return None if nanos is None else datetime.fromtimestamp(nanos / NANOS, tz=UTC)
