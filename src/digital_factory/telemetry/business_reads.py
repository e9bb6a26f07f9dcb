"""A service's business figures and latest feedback, read through the metric store's query functions.

Formulas (docs/telemetry.md, "Business data"): CSAT % = responses scoring 4 or 5 / responses × 100;
average CSAT = sum of scores / responses; NPS = %promoters (9–10) − %detractors (0–6), from −100 to +100."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Matcher
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import models
from digital_factory.telemetry.business import CSAT, NPS, REVENUE, UNITS_SOLD
from digital_factory.telemetry.queries import SeriesRow, matching_series, nanos_of, window_distribution, window_figure
from digital_factory.telemetry.schemas import BusinessKind, BusinessSummary, CurrencyTotal, FeedbackEntry
from digital_factory.telemetry.summaries import NANOS, Distribution

MAX_SUMMARY_DAYS = 400
_feedback = cast(Table, models.Feedback.__table__)


def business_summary(
    uow: UnitOfWork, service: str, *, days: int = 30, environment: str | None = None
) -> BusinessSummary:
    """Units sold, revenue per currency, CSAT and NPS of `service` over the last `days` days."""
    require(uow.actor, Permission.READ)
    catalog.service_id(uow, service)  # NotFound for an unknown key
    if not 1 <= days <= MAX_SUMMARY_DAYS:
        raise ValidationFailed.on("days", f"must be from 1 to {MAX_SUMMARY_DAYS}")
    end = uow.clock.now()
    start = end - timedelta(days=days)
    scope = [Matcher("service", False, service)]
    if environment:
        scope.append(Matcher("environment", False, environment))
    window = (nanos_of(start), nanos_of(end))
    connection = uow.session.connection()
    units = matching_series(uow, UNITS_SOLD, scope)
    csat = window_distribution(uow, CSAT, scope, *window)
    nps = window_distribution(uow, NPS, scope, *window)
    detractors, passives, promoters = _counts(nps, 3)
    return BusinessSummary(
        service=service,
        environment=environment,
        days=days,
        start=start,
        end=end,
        units_sold=(window_figure(connection, "sum", units, *window) or 0.0) if units else 0.0,
        revenue=_revenue(uow, scope, window),
        csat_responses=int(csat.observations),
        csat_percent=_share(sum(_counts(csat, 5)[3:]), csat.observations),
        csat_average=csat.figure("avg", 1.0),
        nps_responses=int(nps.observations),
        nps=_nps(promoters, detractors, nps.observations),
        nps_promoters=promoters,
        nps_passives=passives,
        nps_detractors=detractors,
    )


def _revenue(uow: UnitOfWork, scope: list[Matcher], window: tuple[int, int]) -> list[CurrencyTotal]:
    by_currency: dict[str, list[SeriesRow]] = defaultdict(list)
    for row in matching_series(uow, REVENUE, scope):
        by_currency[row.label("currency") or ""].append(row)
    connection = uow.session.connection()
    totals = [
        CurrencyTotal(currency=currency, amount=window_figure(connection, "sum", rows, *window) or 0.0)
        for currency, rows in sorted(by_currency.items())
    ]
    return [total for total in totals if total.amount]


def _counts(distribution: Distribution, buckets: int) -> list[int]:
    counts = distribution.counts or [0.0] * buckets
    return [int(count) for count in counts] + [0] * (buckets - len(counts))


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _nps(promoters: int, detractors: int, responses: float) -> float | None:
    return round(100 * (promoters - detractors) / responses, 2) if responses else None


def list_feedback(
    uow: UnitOfWork, service: str, *, since: datetime | None = None, limit: int = 50
) -> list[FeedbackEntry]:
    """The service's latest feedback texts, newest first, with their score and attributes."""
    require(uow.actor, Permission.READ)
    owner = catalog.service_id(uow, service)
    query = select(
        _feedback.c.time_ns,
        _feedback.c.environment,
        _feedback.c.metric,
        _feedback.c.score,
        _feedback.c.text,
        _feedback.c.attributes,
    ).where(_feedback.c.service_id == owner)
    if since is not None:
        query = query.where(_feedback.c.time_ns >= nanos_of(since))
    rows = uow.session.connection().execute(query.order_by(_feedback.c.time_ns.desc()).limit(max(1, min(limit, 500))))
    return [
        FeedbackEntry(
            at=datetime.fromtimestamp(time_ns / NANOS, tz=UTC),
            service=service,
            environment=environment or None,
            kind=BusinessKind.CSAT if metric == CSAT else BusinessKind.NPS,
            score=score,
            text=text,
            attributes=dict(attributes or {}),
        )
        for time_ns, environment, metric, score, text, attributes in rows
    ]
