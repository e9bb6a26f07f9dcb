"""The platform dashboard: how long onboarding takes, the template fleet (services per template version,
who is behind) and scorecard levels — read from platform's face, summed by insights' pure arithmetic."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.core.pagination import MAX_PAGE_SIZE, PageRequest
from digital_factory.insights import service as insights
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import JobStatus, OnboardingRecord
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import read, runtime
from digital_factory.web.insights.bar_charts import Bars, bar_option
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
CHARTED_ONBOARDINGS = 20


def span_text(seconds: float | None) -> str:
    """A duration for people: `45 s`, `3 min 20 s`, `2 h 5 min`; a dash for none."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def onboarding_panel(records: list[OnboardingRecord]) -> dict[str, Any]:
    finished = [r for r in records if r.status == JobStatus.SUCCEEDED and r.finished_at is not None]
    summary = insights.durations((r.created_at, r.finished_at) for r in finished)
    charted = list(reversed(finished[:CHARTED_ONBOARDINGS]))  # oldest first, left to right
    seconds = [((r.finished_at or r.created_at) - r.created_at).total_seconds() for r in charted]
    unit, size = ("minutes", 60) if max(seconds, default=0) >= 120 else ("seconds", 1)
    return {
        "unit": unit,
        "summary": summary,
        "figures": [
            (label, span_text(value))
            for label, value in (
                ("Median", summary.median),
                ("90th percentile", summary.p90),
                ("Longest", summary.longest),
            )
        ],
        "failed": sum(r.status == JobStatus.FAILED for r in records),
        "running": sum(r.status == JobStatus.RUNNING for r in records),
        "rows": [(r, span_text(took)) for r, took in zip(charted, seconds, strict=True)],
        "chart": bar_option([r.service_key for r in charted], [Bars(unit, [s / size for s in seconds])])
        if charted
        else None,
    }


def fleet_panel(uow: UnitOfWork) -> dict[str, Any]:
    spread = insights.fleet_spread((e.template, e.version, e.behind) for e in platform.fleet(uow))
    names = [f"{c.template} {c.version}" for c in spread]
    series = [
        Bars("current", [None if c.behind else c.services for c in spread]),
        Bars("behind", [c.services if c.behind else None for c in spread]),
    ]
    return {"spread": spread, "chart": bar_option(names, series, stacked=True) if spread else None}


@router.get("/insights/platform", response_class=HTMLResponse)
def platform_dashboard(request: Request, viewer: PageViewer) -> Response:
    ctx = runtime(request).platform

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        report = platform.scorecard_report(uow, ctx)
        levels = list(report.platform.levels.items())
        return {
            "onboarding": onboarding_panel(platform.list_onboardings(uow, PageRequest(limit=MAX_PAGE_SIZE))),
            "fleet": fleet_panel(uow),
            "levels": levels,
            "levels_chart": bar_option([lv for lv, _ in levels], [Bars("services", [n for _, n in levels])])
            if report.scorecards
            else None,
            "teams": report.teams,
        }

    return render(request, "insights_platform.html", viewer, active="insights", **read(request, viewer, gather))
