"""Onboarding finishes the whole team: its mission and domain, the X-as-a-Service interaction with the
platform team, and the value stream its service serves. Callers own the transaction."""

from __future__ import annotations

from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.pagination import PageRequest
from digital_factory.core.slugs import slugify
from digital_factory.platform.schemas import OnboardingRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import (
    Domain,
    DomainCreate,
    DomainUpdate,
    InteractionCreate,
    InteractionMode,
    TeamType,
    TeamUpdate,
)

PLATFORM_PURPOSE = "The golden path: repository, pipeline, environments, flags and telemetry as a service"


def check_team_parts(uow: UnitOfWork, data: OnboardingRequest) -> None:
    """Refuses before any work starts: an unknown value stream or platform team, a domain another team owns."""
    if data.value_stream:
        try:
            catalog.get_value_stream(uow, data.value_stream)
        except NotFound:
            raise ValidationFailed.on("value_stream", f"no value stream with the key {data.value_stream!r}") from None
    if data.platform_team:
        try:
            ref = teams.team_ref(uow, data.platform_team)
        except NotFound:
            raise ValidationFailed.on("platform_team", f"no team with the key {data.platform_team!r}") from None
        if ref.team_type != TeamType.PLATFORM:
            raise ValidationFailed.on("platform_team", f"{data.platform_team!r} is a {ref.team_type} team")
        if ref.archived_at is not None:
            raise ValidationFailed.on("platform_team", f"the team {data.platform_team!r} is archived")
        if data.platform_team == data.team_key:
            raise ValidationFailed.on("platform_team", "a team does not consume itself")
    if data.domain:
        found = _domain_named(uow, data.domain)
        if found is not None and found.owner_team not in (None, data.team_key):
            raise Conflict(
                f"the domain {found.name!r} belongs to {found.owner_team}: one team per domain",
                rule="one-team-per-domain",
            )


def finish_team(uow: UnitOfWork, data: OnboardingRequest) -> tuple[list[str], str | None]:
    """The team's mission and domain (after the team exists): notes, and the domain's key."""
    notes: list[str] = []
    if data.mission.strip():
        current = teams.get_team(uow, data.team_key).mission
        if current != data.mission:
            teams.update_team(uow, data.team_key, TeamUpdate(mission=data.mission))
            notes.append("mission set")
    domain_key = None
    if data.domain:
        found = _domain_named(uow, data.domain)
        if found is None:
            made = teams.add_domain(
                uow, data.team_key, DomainCreate(name=data.domain, complexity=data.domain_complexity)
            )
            domain_key = made.key
            notes.append(f"owns the domain {made.name} ({made.complexity})")
        else:
            domain_key = found.key
            if found.owner_team is None:
                teams.update_domain(uow, found.key, DomainUpdate(owner_team=data.team_key))
                notes.append(f"takes over the domain {found.name}")
            else:
                notes.append(f"already owns the domain {found.name}")
    return notes, domain_key


def platform_interaction(uow: UnitOfWork, data: OnboardingRequest) -> tuple[str | None, int | None, str]:
    """The X-as-a-Service interaction with the platform team (recorded once): (team, interaction id, note)."""
    platform_team = data.platform_team or _default_platform_team(uow, data.team_key)
    if platform_team is None:
        return None, None, "skipped; no platform team to consume"
    for existing in teams.list_interactions(uow, team=data.team_key, current=True):
        if (existing.team, existing.mode, existing.with_team) == (
            data.team_key,
            InteractionMode.X_AS_A_SERVICE,
            platform_team,
        ):
            return platform_team, existing.id, f"{data.team_key} already consumes {platform_team} as a service"
    made = teams.create_interaction(
        uow,
        InteractionCreate(
            team=data.team_key, with_team=platform_team, mode=InteractionMode.X_AS_A_SERVICE, purpose=PLATFORM_PURPOSE
        ),
    )
    return platform_team, made.id, f"{data.team_key} consumes {platform_team} X-as-a-Service (interaction {made.id})"


def _default_platform_team(uow: UnitOfWork, team_key: str) -> str | None:
    """The platform team: the only one, or the onboarding person's when there are several."""
    found = teams.list_teams(uow, PageRequest(limit=200), team_type=TeamType.PLATFORM).items
    candidates = [t for t in found if t.key != team_key]
    if len(candidates) > 1:
        mine = [t for t in candidates if uow.actor.name in {m.username for m in t.members}]
        candidates = mine or candidates
    return candidates[0].key if candidates else None


def value_stream_for(uow: UnitOfWork, data: OnboardingRequest) -> str | None:
    """The value stream asked for, or the epic's: the one value stream shared by the services that serve
    the epic (given, or the feature's) or any of its features. None when there is none or no single one."""
    if data.value_stream:
        return data.value_stream
    epic = _epic_of(uow, data)
    if epic is None:
        return None
    work = [epic] + [f.key for f in portfolio.list_features(uow, PageRequest(limit=200), epic=epic).items]
    services = {key for item in work for key in catalog.services_serving(uow, item)}
    streams = {catalog.get_service(uow, key).value_stream for key in sorted(services)} - {None}
    return streams.pop() if len(streams) == 1 else None


def _epic_of(uow: UnitOfWork, data: OnboardingRequest) -> str | None:
    if data.epic_key:
        return data.epic_key.strip().upper()
    if data.feature_key:
        prefix, _ = parse_key(data.feature_key)
        if prefix == "FEAT":
            return portfolio.get_feature(uow, data.feature_key.strip().upper()).epic
    return None


def _domain_named(uow: UnitOfWork, name: str) -> Domain | None:
    key = slugify(name)
    return next((d for d in teams.list_domains(uow) if d.name == name or d.key == key), None)
