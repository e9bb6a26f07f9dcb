"""The metric store's read side: indicator queries (the language of `core.metricquery`) and range queries
for charts. Reads open no transaction of their own; the caller's unit of work is read-only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog.service import service_id, service_refs_by_id
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Aggregate, Matcher, Query, QueryError, parse
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.schemas import Evaluation
from digital_factory.telemetry.summaries import (
    NANOS,
    Distribution,
    Partial,
    plan,
    quantile_of,
    quantile_rank,
)

_series = cast(Table, models.Series.__table__)
_points = cast(Table, models.Point.__table__)
_rollups = cast(Table, models.Rollup.__table__)


@dataclass(frozen=True)
class SeriesRow:
    id: int
    kind: str
    service: str
    environment: str | None
    attributes: dict[str, str]

    def label(self, name: str) -> str | None:
        if name == "service":
            return self.service
        if name == "environment":
            return self.environment
        return self.attributes.get(name)


def evaluate(
    uow: UnitOfWork,
    text: str,
    *,
    service: str | None = None,
    environment: str | None = None,
    at: datetime | None = None,
) -> Evaluation:
    """An indicator query's value over the window that ends `at` (now), within a service and environment
    when given (the query's own `service=`/`environment=` matchers narrow it too)."""
    require(uow.actor, Permission.READ)
    try:
        query = parse(text)
    except QueryError as error:
        raise ValidationFailed.on("q", str(error)) from error
    if service is not None:
        service_id(uow, service)  # an unknown service is an error, not "no data"
    end = at or uow.clock.now()
    value = _value(uow, query, _scope(service, environment), nanos_of(end))
    return Evaluation(query=str(query), value=value, at=end, service=service, environment=environment)


def _scope(service: str | None, environment: str | None) -> tuple[Matcher, ...]:
    given = (("service", service), ("environment", environment))
    return tuple(Matcher(label, False, value) for label, value in given if value)


def evaluate_many(uow: UnitOfWork, requests: Sequence[tuple[str, datetime]]) -> list[Evaluation]:
    """Many indicator queries, each read at its own moment (a board's cards): the series of all their
    metrics are read at once, so a query whose metric has no series costs no statement of its own."""
    require(uow.actor, Permission.READ)
    try:
        queries = [parse(text) for text, _ in requests]
    except QueryError as error:
        raise ValidationFailed.on("q", str(error)) from error
    known = series_of_metrics(uow, {part.selector.metric for query in queries for part in _aggregates(query)})

    def lookup(metric: str, matchers: Sequence[Matcher]) -> list[SeriesRow]:
        return _matching(known.get(metric, []), matchers)

    return [
        Evaluation(query=str(query), value=_value(uow, query, (), nanos_of(at), lookup), at=at)
        for query, (_, at) in zip(queries, requests, strict=True)
    ]


def _aggregates(query: Query) -> list[Aggregate]:
    if isinstance(query, Aggregate):
        return [query]
    return _aggregates(query.numerator) + _aggregates(query.denominator)


SeriesLookup = Callable[[str, Sequence[Matcher]], list[SeriesRow]]


def _value(
    uow: UnitOfWork, query: Query, scope: tuple[Matcher, ...], end_ns: int, lookup: SeriesLookup | None = None
) -> float | None:
    if not isinstance(query, Aggregate):
        numerator = _value(uow, query.numerator, scope, end_ns, lookup)
        denominator = _value(uow, query.denominator, scope, end_ns, lookup)
        return None if numerator is None or not denominator else numerator / denominator
    selector = query.selector
    window_ns = int(selector.window.total_seconds()) * NANOS
    matchers = (*scope, *selector.matchers)
    series = lookup(selector.metric, matchers) if lookup else matching_series(uow, selector.metric, matchers)
    if not series:
        return None
    return window_figure(uow.session.connection(), query.aggregation, series, end_ns - window_ns, end_ns)


def matching_series(uow: UnitOfWork, metric: str, matchers: Sequence[Matcher]) -> list[SeriesRow]:
    """The series of `metric` whose service, environment and attributes satisfy every matcher."""
    return _matching(series_of_metrics(uow, {metric}).get(metric, []), matchers)


def series_of_metrics(uow: UnitOfWork, metrics: set[str]) -> dict[str, list[SeriesRow]]:
    """Every series of each metric named, by metric: two queries however many metrics."""
    if not metrics:
        return {}
    columns = (_series.c.metric, _series.c.id, _series.c.kind, _series.c.service_id, _series.c.environment)
    query = select(*columns, _series.c.attributes).where(_series.c.metric.in_(metrics))
    rows = list(uow.session.connection().execute(query))
    names = {ident: ref.key for ident, ref in service_refs_by_id(uow, {row[3] for row in rows}).items()}
    found: dict[str, list[SeriesRow]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(
            SeriesRow(row[1], row[2], names[row[3]], row[4] or None, dict(row[5] or {}))
        )
    return found


def _matching(rows: Sequence[SeriesRow], matchers: Sequence[Matcher]) -> list[SeriesRow]:
    return [row for row in rows if all((row.label(m.label) == m.value) != m.negated for m in matchers)]


def window_figure(
    connection: Connection, aggregation: str, series: Sequence[SeriesRow], start_ns: int, end_ns: int
) -> float | None:
    """One figure over [start, end) of all `series` together."""
    ids = [row.id for row in series]
    seconds = (end_ns - start_ns) / NANOS
    if all(row.kind == "histogram" for row in series):
        return _distribution(connection, ids, start_ns, end_ns).figure(aggregation, seconds)
    if aggregation.startswith("p"):
        return _quantile(connection, ids, start_ns, end_ns, quantile_of(aggregation))
    partial = Partial()
    for piece in plan(start_ns, end_ns):
        partial.add(_piece_partial(connection, ids, piece.resolution, piece.start_ns, piece.end_ns))
    if aggregation == "last":
        partial.last = _last(connection, ids, start_ns, end_ns)
    return partial.figure(aggregation, seconds)


@dataclass(frozen=True)
class PartialQuery:
    """Where a piece's partial sums come from: a rollup resolution's buckets, or (0) the raw points."""

    time: ColumnElement[int]
    figures: tuple[ColumnElement[Any], ...]  # count, total, least, greatest
    where: tuple[ColumnElement[bool], ...]

    @classmethod
    def of(cls, resolution: int, ids: list[int], start_ns: int, end_ns: int) -> PartialQuery:
        figures: tuple[ColumnElement[Any], ...]
        scope: tuple[ColumnElement[bool], ...]
        if resolution:
            rollup = _rollups.c
            figures = (
                func.sum(rollup.count),
                func.sum(rollup.total),
                func.min(rollup.minimum),
                func.max(rollup.maximum),
            )
            time, scope = rollup.start_ns, (rollup.series_id.in_(ids), rollup.resolution == resolution)
        else:
            point = _points.c
            figures = (func.count(), func.sum(point.value), func.min(point.value), func.max(point.value))
            time, scope = point.time_ns, (point.series_id.in_(ids),)
        return cls(time, figures, (*scope, time >= start_ns, time < end_ns))


def partial_of(count: Any, total: Any, low: Any, high: Any) -> Partial:
    """A Partial from a row of `PartialQuery.figures` (nothing counted: the empty one)."""
    return Partial(int(count), float(total), float(low), float(high)) if count else Partial()


def _piece_partial(connection: Connection, ids: list[int], resolution: int, start_ns: int, end_ns: int) -> Partial:
    piece = PartialQuery.of(resolution, ids, start_ns, end_ns)
    return partial_of(*connection.execute(select(*piece.figures).where(*piece.where)).one())


def _last(connection: Connection, ids: list[int], start_ns: int, end_ns: int) -> float | None:
    """The newest raw point in the window; where raw points are gone, the newest minute rollup's last."""
    found = connection.execute(
        select(_points.c.value)
        .where(_points.c.series_id.in_(ids), _points.c.time_ns >= start_ns, _points.c.time_ns < end_ns)
        .order_by(_points.c.time_ns.desc())
        .limit(1)
    ).scalar()
    if found is not None:
        return float(found)
    rolled = connection.execute(
        select(_rollups.c.last)
        .where(_rollups.c.series_id.in_(ids), _rollups.c.resolution == 60)
        .where(_rollups.c.last_ns >= start_ns, _rollups.c.last_ns < end_ns)
        .order_by(_rollups.c.last_ns.desc())
        .limit(1)
    ).scalar()
    return None if rolled is None else float(rolled)


def _quantile(connection: Connection, ids: list[int], start_ns: int, end_ns: int, quantile: float) -> float | None:
    """A quantile of the raw values in the window, read by rank in the store (no values pulled into memory)."""
    where = (_points.c.series_id.in_(ids), _points.c.time_ns >= start_ns, _points.c.time_ns < end_ns)
    count = connection.execute(select(func.count()).where(*where)).scalar() or 0
    if not count:
        return None
    index, fraction = quantile_rank(count, quantile)
    values = [
        float(v)
        for v in connection.execute(
            select(_points.c.value).where(*where).order_by(_points.c.value).offset(index).limit(2)
        ).scalars()
    ]
    if fraction == 0 or len(values) == 1:
        return values[0]
    return values[0] + (values[1] - values[0]) * fraction


def window_distribution(
    uow: UnitOfWork, metric: str, matchers: Sequence[Matcher], start_ns: int, end_ns: int
) -> Distribution:
    """The histogram points of `metric`'s matching series over [start, end), merged (bucket counts)."""
    series = matching_series(uow, metric, matchers)
    if not series:
        return Distribution()
    return _distribution(uow.session.connection(), [row.id for row in series], start_ns, end_ns)


def _distribution(connection: Connection, ids: list[int], start_ns: int, end_ns: int) -> Distribution:
    merged = Distribution()
    rows = connection.execute(
        select(_points.c.value, _points.c.buckets).where(
            _points.c.series_id.in_(ids), _points.c.time_ns >= start_ns, _points.c.time_ns < end_ns
        )
    )
    for value, buckets in rows:
        merged.add(float(value), buckets)
    return merged


def nanos_of(moment: datetime) -> int:
    return int(moment.timestamp()) * NANOS + moment.microsecond * 1000


def moment_of(nanos: int) -> datetime:
    return datetime.fromtimestamp(nanos / NANOS, tz=UTC)
