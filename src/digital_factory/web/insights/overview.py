"""The Insights start page: what each dashboard answers, with a link to it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Dashboard:
    title: str
    href: str
    answers: str


DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "Board & portfolio",
        "/insights/board",
        "Every epic's state and hypothesis evaluated, the decisions due, DORA and flow for the period, what "
        "releases did to the epics' indicators; the board pack to download.",
    ),
    Dashboard(
        "Hypotheses",
        "/insights/hypotheses",
        "Every epic under test: its leading indicators on live data, on track or at risk, and what to decide.",
    ),
    Dashboard(
        "DORA",
        "/insights/dora",
        "Deployment frequency, change lead time, change fail rate, recovery time and rework per service, team, "
        "value stream or epic, with trends and bands.",
    ),
    Dashboard(
        "Flow",
        "/insights/flow",
        "Flow velocity, time, load, efficiency and distribution, the cumulative flow diagram and the value "
        "stream map from idea to production.",
    ),
    Dashboard("Epics", "/portfolio/epics", "Each epic's hypothesis, leading indicators, decisions and history."),
    Dashboard("Teams", "/teams", "Each team's services, interactions and cognitive load."),
    Dashboard("Services", "/telemetry", "Each service's requests, errors, latency and business figures, live."),
    Dashboard("Value streams", "/catalog", "The services of each value stream and who owns them."),
    Dashboard(
        "Platform",
        "/insights/platform",
        "How long onboarding takes, how current the template fleet is, scorecard levels.",
    ),
    Dashboard(
        "Attribution",
        "/insights/attribution",
        "A business KPI before and after each release of a feature, flag or service, and flag-on against flag-off.",
    ),
)
"""The dashboards in the order the loop reads them; a new one (DORA, flow) is one more entry."""


@router.get("/insights", response_class=HTMLResponse)
def overview(request: Request, viewer: PageViewer) -> Response:
    return render(request, "insights_overview.html", viewer, active="insights", dashboards=DASHBOARDS)
