"""What the telemetry pages show, read through the telemetry and catalog faces: a service's RED figures
(rate, errors, duration) from its traces, its other metrics, business figures and log counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from digital_factory.core.errors import NotFound
from digital_factory.core.metricquery import Matcher
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import Aggregation, RangeResult, RangeSeries, SeriesInfo
from digital_factory.web.telemetry.charts import Line, Value, by_label, line_option, lines_of, rounded

REQUESTS, ERRORS, DURATION = "red.requests", "red.errors", "red.duration_ms"
LOG_COUNTS = "log.records"
SPANS = (1, 6, 24, 168)  # hours a page may show
STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 86400)
MAX_POINTS = 60  # per line: each step is read as its own window (a few queries a step)
TOP_ROUTES = 10
SMALL_MULTIPLES = 12
ERROR_SEVERITIES = ("ERROR", "FATAL")
BUSINESS = (
    ("business.units_sold", "sum", "Units sold", ""),
    ("business.revenue", "sum", "Revenue", ""),
    ("customer.csat.score", "avg", "CSAT (average score)", ""),
    ("customer.nps.response", "avg", "NPS (average response)", "count"),
)
KIND_AGGREGATION = {"counter": Aggregation.SUM, "updown": Aggregation.SUM, "histogram": Aggregation.P95}


def step_for(hours: int) -> int:
    """The shortest step that keeps a line at most MAX_POINTS long."""
    return next((s for s in STEPS if hours * 3600 / s <= MAX_POINTS), STEPS[-1])


def checked_hours(hours: int) -> int:
    if hours not in SPANS:
        raise NotFound(f"the telemetry pages show {', '.join(map(str, SPANS))} hours, not {hours}")
    return hours


@dataclass(frozen=True)
class Headline:
    """A service's figures over a window: requests per minute, error %, p95 latency, log errors."""

    requests_per_min: Value
    error_pct: Value
    p95_ms: Value
    log_errors: int


@dataclass(frozen=True)
class Overview:
    """A row of the telemetry area page: a service that sent telemetry."""

    key: str
    name: str
    last_seen: datetime | None
    headline: Headline


def _scope(service: str, environment: str | None) -> list[Matcher]:
    found = [Matcher("service", False, service)]
    return found + ([Matcher("environment", False, environment)] if environment else [])


def headline(uow: UnitOfWork, service: str, environment: str | None, hours: int, end: datetime) -> Headline:
    """The RED figures over the `hours` that end at `end` (indicator queries, as portfolio evaluates them)."""

    def value(query: str) -> Value:
        return telemetry.evaluate(uow, query, service=service, environment=environment, at=end).value

    window = f"[{hours}h]"
    rate = value(f"rate({REQUESTS}{window})")
    requests = value(f"sum({REQUESTS}{window})")
    errors = value(f"sum({ERRORS}{window})") if requests else None
    counts = telemetry.severity_counts(uow, service, since=end - timedelta(hours=hours))
    return Headline(
        requests_per_min=None if rate is None else rate * 60,
        error_pct=(100 * (errors or 0) / requests) if requests else None,
        p95_ms=value(f"p95({DURATION}{window})"),
        log_errors=sum(c.count for c in counts if c.severity in ERROR_SEVERITIES),
    )


OVERVIEW_PAGE_SIZE = 50


def overview(uow: UnitOfWork, offset: int = 0) -> Page[Overview]:
    """A page of the services that sent metrics or logs (OVERVIEW_PAGE_SIZE, by key), with their last hour
    in all environments (log errors: the last 24 hours). Figures are read for the page's services only, their
    series at once (no statement per service for a metric it never sent)."""
    now = uow.clock.now()
    senders = telemetry.services_sending(uow, PageRequest(limit=OVERVIEW_PAGE_SIZE, offset=offset))
    keys = [s.key for s in senders.items]
    asked = [(text, now) for key in keys for text in _last_hour_queries(key)]
    values = [e.value for e in telemetry.evaluate_many(uow, asked)]
    logged = telemetry.severity_counts_of(uow, keys, since=now - timedelta(hours=24))
    rows = []
    for n, sender in enumerate(senders.items):
        rate, requests, errors, p95 = values[4 * n : 4 * n + 4]  # as _last_hour_queries asks them
        figures = Headline(
            requests_per_min=None if rate is None else rate * 60,
            error_pct=(100 * (errors or 0) / requests) if requests else None,
            p95_ms=p95,
            log_errors=sum(c.count for c in logged[sender.key] if c.severity in ERROR_SEVERITIES),
        )
        rows.append(Overview(sender.key, sender.name, sender.last_seen, figures))
    return Page[Overview](items=rows, total=senders.total, limit=senders.limit, offset=senders.offset)


def _last_hour_queries(service: str) -> list[str]:
    """What `headline` asks over the last hour, scoped to one service in the queries themselves."""
    scope = f"{{{Matcher('service', False, service)}}}[1h]"
    return [f"rate({REQUESTS}{scope})", f"sum({REQUESTS}{scope})", f"sum({ERRORS}{scope})", f"p95({DURATION}{scope})"]


@dataclass(frozen=True)
class Route:
    route: str
    requests: float
    error_pct: Value
    p95_ms: Value


@dataclass
class ServiceFigures:
    """The live block of a service page: headline, RED charts, top routes, other metrics, business figures."""

    headline: Headline
    requests_chart: str = ""
    errors_chart: str = ""
    latency_chart: str = ""
    routes: list[Route] = field(default_factory=list)
    others: list[tuple[str, str, str]] = field(default_factory=list)  # (metric, what is drawn, option)
    business: list[tuple[str, Value, str]] = field(default_factory=list)  # (label, value, note)


@dataclass(frozen=True)
class Window:
    service: str
    environment: str | None
    hours: int
    end: datetime

    @property
    def start(self) -> datetime:
        return self.end - timedelta(hours=self.hours)

    @property
    def step(self) -> int:
        return step_for(self.hours)

    def range(self, uow: UnitOfWork, metric: str, aggregation: Aggregation, by: str | None = None) -> RangeResult:
        return telemetry.query_range(
            uow,
            metric,
            start=self.start,
            end=self.end,
            step_seconds=self.step,
            aggregation=aggregation,
            matchers=_scope(self.service, self.environment),
            by=by,
        )


def service_figures(uow: UnitOfWork, window: Window, series: list[SeriesInfo]) -> ServiceFigures:
    figures = ServiceFigures(headline(uow, window.service, window.environment, window.hours, window.end))
    names = {s.metric for s in series}
    if REQUESTS in names:
        _red(uow, window, figures)
    figures.others = _others(uow, window, series)
    figures.business = _business(uow, window, names)
    return figures


def _red(uow: UnitOfWork, window: Window, figures: ServiceFigures) -> None:
    per_min = 60 / window.step
    requests = window.range(uow, REQUESTS, Aggregation.SUM, by="route")
    errors = by_label(window.range(uow, ERRORS, Aggregation.SUM, by="route"), "route")
    figures.requests_chart = line_option(lines_of(requests, "route", lambda v: None if v is None else v * per_min))
    error_lines = []
    for series in requests.series:
        route = series.labels.get("route", "")
        failed = {p.at: p.value for p in errors[route].points} if route in errors else {}
        error_lines.append(
            Line(route or REQUESTS, [(p.at, _percent(failed.get(p.at), p.value)) for p in series.points])
        )
    figures.errors_chart = line_option(error_lines)
    latency = [
        Line(q.value, line.points)
        for q in (Aggregation.P50, Aggregation.P95, Aggregation.P99)
        for line in lines_of(window.range(uow, DURATION, q))
    ]
    figures.latency_chart = line_option(latency)
    figures.routes = _routes(uow, window, requests, errors)


def _percent(errors: Value, requests: Value) -> Value:
    return None if not requests else 100 * (errors or 0) / requests


def _routes(uow: UnitOfWork, window: Window, requests: RangeResult, failed: dict[str, RangeSeries]) -> list[Route]:
    """The busiest routes over the window: requests, error % and p95 latency."""
    totals = {s.labels.get("route", ""): sum(p.value or 0 for p in s.points) for s in requests.series}
    rows = []
    for route, total in sorted(totals.items(), key=lambda item: -item[1])[:TOP_ROUTES]:
        errors_total = sum(p.value or 0 for p in failed[route].points) if route in failed else 0
        matcher = Matcher("route", False, route)
        p95 = telemetry.evaluate(
            uow,
            f"p95({DURATION}{{{matcher}}}[{window.hours}h])",
            service=window.service,
            environment=window.environment,
            at=window.end,
        ).value
        rows.append(Route(route, total, _percent(errors_total, total), rounded(p95, 1)))
    return rows


def _others(uow: UnitOfWork, window: Window, series: list[SeriesInfo]) -> list[tuple[str, str, str]]:
    """Small multiples of the service's other metrics: counters summed per step, gauges averaged,
    histograms at their p95."""
    skip = {REQUESTS, ERRORS, DURATION, LOG_COUNTS, *(name for name, *_ in BUSINESS)}
    kinds: dict[str, tuple[str, str]] = {}
    for s in series:
        if s.metric not in skip:
            kinds.setdefault(s.metric, (s.kind, s.unit))
    charts = []
    for metric, (kind, unit) in sorted(kinds.items())[:SMALL_MULTIPLES]:
        aggregation = KIND_AGGREGATION.get(kind, Aggregation.AVG)
        lines = lines_of(window.range(uow, metric, aggregation))
        what = f"{aggregation.value} per {duration(window.step)}" + (f", {unit}" if unit else "")
        charts.append((metric, what, line_option(lines, compact=True)))
    return charts


def _business(uow: UnitOfWork, window: Window, names: set[str]) -> list[tuple[str, Value, str]]:
    shown = []
    for metric, aggregation, label, extra in BUSINESS:
        if metric not in names:
            continue

        def value(how: str, name: str = metric) -> Value:
            query = f"{how}({name}[{window.hours}h])"
            return telemetry.evaluate(
                uow, query, service=window.service, environment=window.environment, at=window.end
            ).value

        note = f"{value(extra) or 0:.0f} responses" if extra else ""
        shown.append((label, rounded(value(aggregation), 2), note))
    return shown


def duration(seconds: int) -> str:
    """A step as people say it: 30 min, 2 h."""
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
