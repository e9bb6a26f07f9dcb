"""The tour: the demo's loop walked page by page, from the board's bet to the evidence that it pays off.

A stop is a page and a few sentences about it. `?tour=N` on a stop's page shows the tour bar (what to look
at, previous and next); the bar shows only on the page its stop names, so wandering off ends it quietly.
The stops name the demo's data (`factory demo`): on another store a stop may find nothing to show."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import TEMPLATES, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Stop:
    path: str
    title: str
    text: str


STOPS: tuple[Stop, ...] = (
    Stop(
        "/portfolio",
        "The board's bets",
        "The portfolio kanban: epics move from the funnel to done, ranked by WSJF. The heavy-lift drone epic "
        "(EPIC-1) was approved and is in Implementing; its card shows how its hypothesis is doing.",
    ),
    Stop(
        "/portfolio/epics/EPIC-1",
        "The epic as the loop's page",
        "EPIC-1's hypothesis and leading indicators, evaluated live on the fleet's telemetry and sales; below, "
        "the loop: features, teams, services, deployments per environment, flags, lead time, DORA, incidents.",
    ),
    Stop(
        "/product/features/FEAT-3",
        "A feature handed to a team",
        "Product management split the epic into features; FEAT-3, better engines, went to a team the platform "
        "onboarded for it.",
    ),
    Stop(
        "/teams/engines",
        "The engines team",
        "A stream-aligned team made on day one by the platform's golden path: its repository, pipeline, "
        "environments and flags came with it.",
    ),
    Stop(
        "/platform",
        "The platform's golden paths",
        "Self-service onboarding: a template and a few answers give a new team a working continuous-delivery "
        "environment, with each step recorded.",
    ),
    Stop(
        "/delivery/services/flight-control",
        "Pipelines and the prod approval",
        "Every push runs the pipeline in a sandbox; dev and staging deploy on their own, prod waits for an "
        "entitled approver. The incident the fleet reported was fixed by a change that names it.",
    ),
    Stop(
        "/releases/flight-control/flags/heavy-lift-mode",
        "Release on demand",
        "Heavy-lift mode went to 10 %, 50 % and 100 % of the fleet in prod, each step asked for by product "
        "management and approved by the owning team; the drones read it over OFREP.",
    ),
    Stop(
        "/telemetry/services/flight-control",
        "What comes back",
        "The fleet reports flights, payloads, failures, sales and satisfaction over OTLP, live.",
    ),
    Stop(
        "/insights/hypotheses",
        "Is the bet paying off?",
        "Each epic in test, its indicators against baseline, target and deadline: EPIC-1 went from at risk to "
        "validated as the release reached the whole fleet, and the board decided to persevere.",
    ),
    Stop(
        "/insights/dora",
        "How the teams deliver",
        "DORA's five figures per service, team, value stream and epic, each with its sample size and band.",
    ),
    Stop(
        "/insights/board",
        "The board's page and its pack",
        "Every epic's status, the decisions due and the delivery figures in one place; the board pack "
        "downloads as one self-contained file.",
    ),
)


def current_stop(request: Request) -> tuple[int, Stop] | None:
    """The stop (1-based) whose page this is, when the visitor came here on the tour."""
    number = request.query_params.get("tour", "")
    if not number.isdigit() or not 1 <= int(number) <= len(STOPS):
        return None
    stop = STOPS[int(number) - 1]
    return (int(number), stop) if request.url.path == stop.path else None


def stop_url(number: int) -> str:
    return f"{STOPS[number - 1].path}?tour={number}"


def stop_title(number: int) -> str:
    return STOPS[number - 1].title


TEMPLATES.env.globals["tour_stop"] = current_stop
TEMPLATES.env.globals["tour_url"] = stop_url
TEMPLATES.env.globals["tour_title"] = stop_title
TEMPLATES.env.globals["tour_length"] = len(STOPS)


@router.get("/tour", response_class=HTMLResponse)
def tour_page(request: Request, viewer: PageViewer) -> Response:
    return render(request, "tour.html", viewer, active="tour", stops=STOPS)
