"""Template environment and page rendering shared by the web routes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from digital_factory import __version__
from digital_factory.core.durations import elapsed
from digital_factory.web.context import Viewer

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["version"] = __version__


def figure(value: float | None, digits: int = 1) -> str:
    """A measured figure for a page: thousands separated, `digits` decimals; "-" where there is no data."""
    return "-" if value is None else f"{value:,.{digits}f}"


def links(keys: Iterable[str], prefix: str, empty: str = "-") -> Markup:
    """Links to each key's page under `prefix`, comma-separated: what a table cell lists for every row
    (one call instead of a template loop per row, which long pages feel)."""
    parts = [f'<a href="{prefix}{escape(key)}">{escape(key)}</a>' for key in keys]
    return Markup(", ".join(parts) if parts else f'<span class="muted">{escape(empty)}</span>')  # noqa: S704


TEMPLATES.env.filters["figure"] = figure
TEMPLATES.env.filters["links"] = links
TEMPLATES.env.filters["duration"] = elapsed


@dataclass(frozen=True)
class Area:
    slug: str
    label: str
    summary: str
    href: str = ""

    @property
    def url(self) -> str:
        """Where the navigation leads: the area's own page once it has one, else its overview."""
        return self.href or f"/area/{self.slug}"


# The product loop, in order: the navigation follows it.
AREAS: tuple[Area, ...] = (
    Area(
        "portfolio",
        "Portfolio",
        "Strategic themes, epics on the portfolio kanban, WSJF ranking, epic hypotheses.",
        href="/portfolio",
    ),
    Area(
        "product",
        "Product",
        "Features and stories under each epic, handed to teams as ordered backlogs.",
        href="/product",
    ),
    Area("teams", "Teams", "Teams, their topology and interactions, ownership and cognitive load.", href="/teams"),
    Area(
        "platform",
        "Platform",
        "Golden-path templates, one-step onboarding, the service catalog and its fleet.",
        href="/platform",
    ),
    Area(
        "delivery",
        "Delivery",
        "Pipelines, runs with live logs, environments, approvals, deployments, incidents.",
        href="/delivery",
    ),
    Area(
        "releases",
        "Releases",
        "Feature flags with targeting and rollouts; every release on one timeline.",
        href="/releases",
    ),
    Area(
        "telemetry",
        "Telemetry",
        "Each service's requests, errors and latency, its metrics, logs and business figures, live; "
        "the metric explorer and the ingestion keys services send with.",
        href="/telemetry",
    ),
    Area(
        "insights",
        "Insights",
        "The board and portfolio dashboard with the board pack, attribution of KPIs to releases, the platform "
        "dashboard.",
        href="/insights",
    ),
)
AREA_BY_SLUG = {area.slug: area for area in AREAS}


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(
        request, template, {"viewer": viewer, "areas": AREAS, **context}, status_code=status_code
    )
    if viewer is not None:
        response.headers["Cache-Control"] = "no-store"
    return response
