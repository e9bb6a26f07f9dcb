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
        "Epics per state, the hypothesis decisions due, and what releases did to the epics' indicators; "
        "the board pack to download.",
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
