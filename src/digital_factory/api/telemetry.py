"""/telemetry: indicator and range queries over the metric store, a service's series and log lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from digital_factory.api.context import Reading
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Matcher
from digital_factory.core.schemas import Moment
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import (
    Aggregation,
    Evaluation,
    LogLineOut,
    RangeResult,
    SeriesInfo,
    SeverityCount,
)

router = APIRouter(prefix="/telemetry", tags=["telemetry"])


@router.get("/query")
def evaluate(
    uow: Reading,
    q: Annotated[str, Query(max_length=1000, description="An indicator query, e.g. `sum(business.units_sold[30d])`.")],
    service: str | None = None,
    environment: str | None = None,
    at: Moment | None = None,
) -> Evaluation:
    """The query's value over its window ending `at` (now); `null` when nothing was sent."""
    return telemetry.evaluate(uow, q, service=service, environment=environment, at=at)


@router.get("/range")
def query_range(
    uow: Reading,
    metric: Annotated[str, Query(max_length=200)],
    start: Moment,
    end: Moment | None = None,
    step: Annotated[int, Query(ge=1, le=86400 * 7, description="Seconds per point.")] = 60,
    aggregation: Aggregation = Aggregation.SUM,
    match: Annotated[
        list[str] | None, Query(description="`label=value` or `label!=value`, e.g. `route=/orders`.")
    ] = None,
    by: str | None = None,
) -> RangeResult:
    """`metric` per step (for charts): one line, or one per value of the label `by`."""
    matchers = [_matcher(text) for text in match or []]
    finish = end or uow.clock.now()
    return telemetry.query_range(
        uow, metric, start=start, end=finish, step_seconds=step, aggregation=aggregation, matchers=matchers, by=by
    )


def _matcher(text: str) -> Matcher:
    label, negated, value = text.partition("!=") if "!=" in text else text.partition("=")
    if not label or not negated:
        raise ValidationFailed.on("match", f"{text!r} is not label=value or label!=value")
    return Matcher(label.strip(), negated == "!=", value.strip())


@router.get("/metrics")
def metric_names(uow: Reading, service: str | None = None) -> list[str]:
    return telemetry.metric_names(uow, service)


@router.get("/services/{key}/series")
def list_series(
    uow: Reading,
    key: str,
    environment: str | None = None,
    prefix: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[SeriesInfo]:
    return telemetry.list_series(uow, key, environment=environment, prefix=prefix, limit=limit)


@router.get("/services/{key}/logs")
def recent_logs(
    uow: Reading,
    key: str,
    environment: str | None = None,
    severity: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[LogLineOut]:
    return telemetry.recent_logs(uow, key, environment=environment, severity=severity, limit=limit)


@router.get("/services/{key}/severities")
def severity_counts(uow: Reading, key: str, hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24) -> list[SeverityCount]:
    return telemetry.severity_counts(uow, key, since=uow.clock.now() - timedelta(hours=hours))
