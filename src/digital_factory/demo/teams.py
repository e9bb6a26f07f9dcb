"""Demo: the drone company's teams, what they own, how they work with the platform team, how loaded they feel.

Runs first, so later steps can rely on the teams; creates only what is absent (another step may have made
the first two teams already).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from digital_factory.core.errors import NotFound
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import (
    Channel,
    Complexity,
    DomainCreate,
    InteractionCreate,
    InteractionMode,
    Meeting,
    MemberAdd,
    SurveyAnswer,
    TeamCreate,
    TeamProfile,
    TeamType,
    TeamUpdate,
)

if TYPE_CHECKING:
    from digital_factory.demo.story import DemoContext

TEAMS: tuple[tuple[str, str, TeamType, str, str, str], ...] = (
    # key, name, type, mission, member, their team role
    (
        "flight-software",
        "Flight Software",
        TeamType.STREAM_ALIGNED,
        "Flight software that lifts heavier payloads safely: autopilot, flight control and mission planning.",
        "flight",
        "tech lead",
    ),
    (
        "power-systems",
        "Power Systems",
        TeamType.STREAM_ALIGNED,
        "Batteries and power management that keep heavy-lift drones in the air longer.",
        "power",
        "tech lead",
    ),
    (
        "platform",
        "Platform",
        TeamType.PLATFORM,
        "A standardized continuous-delivery environment every team can use from day one, run as a product.",
        "platform",
        "product manager",
    ),
)

DOMAINS: dict[str, tuple[tuple[str, Complexity, str], ...]] = {
    "flight-software": (
        ("Flight control", Complexity.COMPLEX, "Stabilisation and control laws under changing payloads."),
        ("Mission planning", Complexity.SIMPLE, "Routes, waypoints and no-fly zones."),
    ),
    "power-systems": (
        ("Battery management", Complexity.COMPLICATED, "Cell balancing, state of charge, thermal limits."),
        ("Charging", Complexity.SIMPLE, "Docking stations and charge schedules."),
    ),
    "platform": (
        ("Delivery pipelines", Complexity.COMPLICATED, "Golden paths, pipelines and environments."),
        ("Observability", Complexity.SIMPLE, "Telemetry collection and dashboards."),
    ),
}

# A team's answers month by month, oldest first: load falls as the platform takes work off the teams.
SURVEYS: dict[str, tuple[dict[str, int], ...]] = {
    "flight-software": (
        {"effective": 2, "domain-complexity": 5, "breadth": 4, "toil": 5, "tooling": 4, "learning": 2},
        {"effective": 3, "domain-complexity": 5, "breadth": 4, "toil": 4, "tooling": 3, "learning": 2},
        {"effective": 3, "domain-complexity": 4, "breadth": 4, "toil": 3, "tooling": 2, "learning": 3},
    ),
    "power-systems": (
        {"effective": 3, "domain-complexity": 4, "breadth": 3, "toil": 4, "tooling": 4, "learning": 3},
        {"effective": 4, "domain-complexity": 4, "breadth": 2, "toil": 2, "tooling": 2, "learning": 4},
    ),
}


def seed(ctx: DemoContext) -> None:
    store = ctx.runtime.store
    today = store.clock.now().date()
    with store.unit_of_work(ctx.actor("platform")) as uow:
        for key, name, team_type, mission, member, role in TEAMS:
            _ensure_team(uow, key, name, team_type, mission)
            if member not in {m.username for m in teams.get_team(uow, key).members}:
                teams.add_member(uow, key, MemberAdd(username=member, team_role=role))
        teams.update_team(
            uow,
            "platform",
            TeamUpdate(
                profile=TeamProfile(
                    channels=[Channel(type="chat", name="#platform-help")],
                    search_terms=["golden path", "pipelines", "environments"],
                    meetings=[Meeting(purpose="office hours", day_of_week="Thursday", time_of_day="14:00")],
                )
            ),
        )
        _domains(uow)
        _use_the_platform(uow, today)
    for key, answers in SURVEYS.items():
        member = next(m for k, _, _, _, m, _ in TEAMS if k == key)
        with store.unit_of_work(ctx.actor(member)) as uow:
            if teams.survey_results(uow, key).scores:
                continue
            for months_ago, answer in zip(range(len(answers) - 1, -1, -1), answers, strict=True):
                day = _mid_month(teams.add_months(today, -months_ago), today)
                teams.submit_survey(uow, key, SurveyAnswer(answers=answer, answered_on=day))


def _domains(uow: UnitOfWork) -> None:
    owned = {d.key for d in teams.list_domains(uow)}
    for key, domains in DOMAINS.items():
        for name, complexity, description in domains:
            if _slug(name) not in owned:
                teams.add_domain(uow, key, DomainCreate(name=name, complexity=complexity, description=description))


def _use_the_platform(uow: UnitOfWork, today: date) -> None:
    current = teams.list_interactions(uow, team="platform", current=True)
    for consumer, purpose in (
        ("flight-software", "pipelines, environments and telemetry as a self-service product"),
        ("power-systems", "pipelines and environments for the battery-management firmware"),
    ):
        if not any(i.team == consumer and i.mode is InteractionMode.X_AS_A_SERVICE for i in current):
            teams.create_interaction(
                uow,
                InteractionCreate(
                    team=consumer,
                    with_team="platform",
                    mode=InteractionMode.X_AS_A_SERVICE,
                    purpose=purpose,
                    starts_on=teams.add_months(today, -4),
                ),
            )


def _ensure_team(uow: UnitOfWork, key: str, name: str, team_type: TeamType, mission: str) -> None:
    try:
        existing = teams.get_team(uow, key)
    except NotFound:
        teams.create_team(uow, TeamCreate(key=key, name=name, team_type=team_type, mission=mission))
        return
    if not existing.mission:
        teams.update_team(uow, key, TeamUpdate(mission=mission))


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _mid_month(day: date, today: date) -> date:
    return min(day.replace(day=15), today)
