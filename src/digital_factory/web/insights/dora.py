"""The DORA page: pick a scope (everything, a service, a team, a value stream or an epic) and a period; the
five figures as tiles with band and sample size, trend charts with a table view, and the services behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.core.durations import elapsed as duration
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraBand, DoraBucket, DoraFigures, DoraReport, DoraTrendPoint
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import runtime
from digital_factory.web.lookup import scope_options
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render
from digital_factory.web.telemetry.charts import Line, line_option

router = APIRouter(include_in_schema=False)
SCOPES = ("service", "team", "value_stream", "epic", "feature")
BAND_STYLE = {DoraBand.ELITE: "ok", DoraBand.HIGH: "ok", DoraBand.MEDIUM: "warn", DoraBand.LOW: "bad"}
HOUR = 3600.0


@router.get("/insights/dora", response_class=HTMLResponse)
def dora_page(
    request: Request,
    viewer: PageViewer,
    scope: str = "",
    period: str = "",
    bucket: DoraBucket = DoraBucket.WEEK,
) -> Response:
    """`scope` is `kind:key` (e.g. `service:fleet-api`), empty for every service; `period` e.g. 2026-Q4."""
    policy = runtime(request).dora
    with runtime(request).store.unit_of_work(viewer.actor, write=False) as uow:
        pickers = _pickers(uow)
        try:
            report = _report(uow, policy, scope, period, bucket)
        except ValidationFailed as exc:
            context = {"pickers": pickers, "scope": scope, "period": period, "bucket": bucket, "error": exc.detail}
            return render(request, "insights_dora.html", viewer, status_code=422, active="insights", **context)
    return render(
        request,
        "insights_dora.html",
        viewer,
        active="insights",
        pickers=pickers,
        scope=scope,
        period=period,
        bucket=bucket,
        report=report,
        tiles=tiles(report.figures),
        charts=charts(report.trend),
        trend_rows=[(day(p.start), *table_row(p.figures)) for p in report.trend],
        service_rows=[(row.service, *table_row(row.figures)) for row in report.by_service],
        band_style=BAND_STYLE,
    )


def _report(uow: UnitOfWork, policy: Any, scope: str, period: str, bucket: DoraBucket) -> DoraReport:
    kind, _, key = scope.partition(":")
    if scope and (kind not in SCOPES or not key):
        raise ValidationFailed.on("scope", f"{scope!r} is not one of {', '.join(SCOPES)} with a key")
    start, end = insights.period_bounds(period) if period.strip() else (None, None)
    chosen = {kind: key} if scope else {}
    return insights.dora_report(uow, policy, start=start, end=end, bucket=bucket, **chosen)


def _pickers(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The scope picker's first choices, `kind:key`, a few of each kind; typing asks /lookup/scopes."""
    return scope_options(uow)


def tiles(f: DoraFigures) -> list[dict[str, Any]]:
    """The five figures as the page shows them: text, band, sample size and what the sample is."""
    lead, recovery = f.change_lead_time, f.failed_deployment_recovery_time
    return [
        _tile("Deployment frequency", _per_day(f.deployment_frequency.value), f.deployment_frequency, "deployments"),
        _tile("Change lead time (median)", duration(lead.value), lead, "changes", f"p85 {duration(lead.p85)}"),
        _tile("Change fail rate", _percent(f.change_fail_rate.value), f.change_fail_rate, "deployments"),
        _tile("Failed deployment recovery time", duration(recovery.value), recovery, "failures"),
        _tile(
            "Deployment rework rate", _percent(f.deployment_rework_rate.value), f.deployment_rework_rate, "deployments"
        ),
    ]


def _tile(label: str, text: str, figure: Any, what: str, extra: str = "") -> dict[str, Any]:
    return {
        "label": label,
        "text": text,
        "band": figure.band,
        "sample": figure.sample_size,
        "what": what,
        "extra": extra,
    }


def charts(trend: list[DoraTrendPoint]) -> dict[str, str]:
    """Three trend charts (ECharts options): deployments a day; lead and recovery hours; fail and rework %."""

    def line(name: str, value: Any) -> Line:
        return Line(name, [(p.start, value(p.figures)) for p in trend])

    return {
        # a bucket without deployments deployed 0 a day (its figure is None: nothing to judge a band on)
        "frequency": line_option([line("deployments/day", lambda f: f.deployment_frequency.value or 0.0)]),
        "times": line_option(
            [
                line("lead time (h)", lambda f: _hours(f.change_lead_time.value)),
                line("recovery time (h)", lambda f: _hours(f.failed_deployment_recovery_time.value)),
            ]
        ),
        "rates": line_option(
            [
                line("change fail rate (%)", lambda f: _pct(f.change_fail_rate.value)),
                line("rework rate (%)", lambda f: _pct(f.deployment_rework_rate.value)),
            ]
        ),
    }


def table_row(f: DoraFigures) -> tuple[str, ...]:
    """A figure set as a table row: deployments (per day), lead time, fail rate, recovery, rework, unlinked."""
    df = f.deployment_frequency
    return (
        f"{df.sample_size} ({_per_day(df.value)})",
        f"{duration(f.change_lead_time.value)} (n={f.change_lead_time.sample_size})",
        f"{_percent(f.change_fail_rate.value)} (n={f.change_fail_rate.sample_size})",
        f"{duration(f.failed_deployment_recovery_time.value)} (n={f.failed_deployment_recovery_time.sample_size})",
        _percent(f.deployment_rework_rate.value),
        str(f.unlinked_incidents),
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / HOUR


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else ratio * 100


def _per_day(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}/day"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
