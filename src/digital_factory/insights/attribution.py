"""Attribution: what a business KPI did around each release — before against after over equal windows, and
flag-on against flag-off cohorts where the events say which variant they were served.

Releases are the releases domain's records (flag changes customers notice) and, for a service, its
successful production deployments. The KPI is read through telemetry's range query, one figure per step
(the KPI's window), so each step is one sample; `attribution_stats` compares the samples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Aggregate, Matcher, QueryError, parse
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import copied
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentFilter, DeploymentStatus
from digital_factory.insights.attribution_schemas import Attribution, AttributionQuery, Comparison, ReleaseAttribution
from digital_factory.insights.attribution_stats import MIN_SAMPLES, Difference, welch
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import ReleaseFilter
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import MAX_RANGE_STEPS, Aggregation, RangeResult

MAX_RELEASES = 20
"""The newest releases a question looks at (each costs a few range queries)."""
MIN_STEP = timedelta(hours=1)


@dataclass(frozen=True)
class Moment:
    """A release as attribution sees it: where, when, and the variant an off flag serves (flags only)."""

    source: str
    service: str
    environment: str
    flag: str | None
    feature: str | None
    summary: str
    at: datetime
    off_variant: str | None = None


@dataclass(frozen=True)
class Kpi:
    text: str
    metric: str
    aggregation: Aggregation
    matchers: tuple[Matcher, ...]
    step: timedelta


def attribute(uow: UnitOfWork, query: AttributionQuery) -> Attribution:
    """The KPI around each of the subject's newest releases (newest first)."""
    require(uow.actor, Permission.READ)
    kpi = parse_kpi(query.kpi, query.days)
    subject, moments = _moments(uow, query)
    now = uow.clock.now()
    return Attribution(
        subject=subject,
        kpi=kpi.text,
        step_seconds=int(kpi.step.total_seconds()),
        days=query.days,
        cohort_label=query.cohort_label,
        releases=[_attributed(uow, kpi, moment, query, now) for moment in moments],
    )


def parse_kpi(text: str, days: int) -> Kpi:
    """The KPI query: one aggregation over one selector whose window (one sample) is 1 hour to the window."""
    try:
        parsed = parse(text)
    except QueryError as error:
        raise ValidationFailed.on("kpi", str(error)) from error
    if not isinstance(parsed, Aggregate):
        raise ValidationFailed.on("kpi", "a ratio cannot be attributed: attribute its two sides")
    step = parsed.selector.window
    if step < MIN_STEP or step > timedelta(days=days):
        raise ValidationFailed.on("kpi", f"the window [{parsed.selector.window_text}] must be 1h to {days}d (a sample)")
    if timedelta(days=days) / step > MAX_RANGE_STEPS:
        raise ValidationFailed.on("kpi", f"{days} days of [{parsed.selector.window_text}] are too many samples")
    selector = parsed.selector
    return Kpi(str(parsed), selector.metric, Aggregation(parsed.aggregation), selector.matchers, step)


def _moments(uow: UnitOfWork, query: AttributionQuery) -> tuple[str, list[Moment]]:
    given = [
        (name, value)
        for name, value in (("feature", query.feature), ("flag", query.flag), ("service", query.service))
        if value
    ]
    if len(given) != 1:
        raise ValidationFailed.on("feature", "give exactly one of feature, flag or service")
    name, value = given[0]
    filters = ReleaseFilter(environment=query.environment, **{name: value})
    page = releases.list_releases(uow, filters, PageRequest(limit=MAX_RELEASES))
    found = [
        Moment(
            "flag",
            r.service,
            r.environment,
            r.flag,
            r.feature,
            r.summary,
            r.at,
            str(r.after.get("off_variant") or r.before.get("off_variant") or "off"),
        )
        for r in page.items
    ]
    if name == "service":
        found += _deployments(uow, value, query.environment)
    found.sort(key=lambda moment: moment.at, reverse=True)
    return f"{name} {value}", found[:MAX_RELEASES]


def _deployments(uow: UnitOfWork, service: str, environment: str | None) -> list[Moment]:
    filters = DeploymentFilter(service=service, environment=environment, status=DeploymentStatus.SUCCEEDED)
    page = delivery.list_deployments(uow, filters, PageRequest(limit=MAX_RELEASES))
    return [
        Moment("deployment", d.service, d.environment, None, None, f"deployed {d.version}", d.finished_at)
        for d in page.items
        if d.is_production and d.finished_at is not None
    ]


def _attributed(
    uow: UnitOfWork, kpi: Kpi, moment: Moment, query: AttributionQuery, now: datetime
) -> ReleaseAttribution:
    """Equal windows: as many whole steps after the release as have passed (at most `days`), as many before.
    The clock hour the release fell in belongs to neither side (customers saw both), so both windows start
    and end on whole hours and read the hour rollups."""
    before_end = moment.at.replace(minute=0, second=0, microsecond=0)
    after_start = before_end if before_end == moment.at else before_end + timedelta(hours=1)
    span = min(timedelta(days=query.days), max(now - after_start, timedelta(0)))
    length = kpi.step * int(span / kpi.step)
    scope = (Matcher("service", False, moment.service), Matcher("environment", False, moment.environment))
    before = _samples(uow, kpi, scope, before_end - length, before_end)
    after = _samples(uow, kpi, scope, after_start, after_start + length)
    cohorts: list[Comparison] = []
    if moment.off_variant is not None and length:
        cohorts = _cohorts(
            uow, kpi, scope, moment, start=after_start, end=after_start + length, label=query.cohort_label
        )
    return copied(
        ReleaseAttribution,
        moment,
        before_start=before_end - length,
        before_end=before_end,
        after_start=after_start,
        after_end=after_start + length,
        before_after=comparison("before", "after", welch(_values(before), _values(after))),
        cohorts=cohorts,
    )


def _samples(
    uow: UnitOfWork, kpi: Kpi, scope: tuple[Matcher, ...], start: datetime, end: datetime, *, by: str | None = None
) -> RangeResult | None:
    if end <= start:
        return None
    return telemetry.query_range(
        uow,
        kpi.metric,
        start=start,
        end=end,
        step_seconds=int(kpi.step.total_seconds()),
        aggregation=kpi.aggregation,
        matchers=(*scope, *kpi.matchers),
        by=by,
    )


def _values(result: RangeResult | None) -> list[float]:
    """A step's figure is one sample; a step with no figure (an average of nothing) is no sample."""
    if result is None or not result.series:
        return []
    return [point.value for point in result.series[0].points if point.value is not None]


def _cohorts(
    uow: UnitOfWork,
    kpi: Kpi,
    scope: tuple[Matcher, ...],
    moment: Moment,
    *,
    start: datetime,
    end: datetime,
    label: str,
) -> list[Comparison]:
    """Each variant the events name against the off variant, over the after window."""
    result = _samples(uow, kpi, scope, start, end, by=label)
    if result is None:
        return []
    lines = {
        series.labels.get(label, ""): [p.value for p in series.points if p.value is not None]
        for series in result.series
    }
    control = lines.pop(moment.off_variant or "", [])
    lines.pop("", None)  # events that do not say their variant belong to no cohort
    off = moment.off_variant or "off"
    return [comparison(off, variant, welch(control, values)) for variant, values in sorted(lines.items())]


def comparison(a: str, b: str, found: Difference) -> Comparison:
    df = None if found.df is None or found.df == float("inf") else found.df
    return copied(Comparison, found, a=a, b=b, df=df, minimum_samples=MIN_SAMPLES)
