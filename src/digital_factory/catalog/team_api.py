"""The Team API document of a team, with the catalog's part of it: the services the team owns and the
teams its services depend on. Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from digital_factory.catalog import models
from digital_factory.catalog.services import service_refs_by_id
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamApiDependency, TeamApiService, TeamRef


def team_api_document(uow: UnitOfWork, team_key: str) -> dict[str, Any]:
    """The team's Team API document, with the services it owns and the teams its services depend on."""
    owner = teams.team_ref(uow, team_key)
    rows = list(
        uow.session.scalars(
            select(models.Service).where(models.Service.owner_team_id == owner.id).order_by(models.Service.key)
        )
    )
    services = [TeamApiService(key=r.key, name=r.name, repository=r.repository_url) for r in rows]
    return teams.export_team_api(
        uow, team_key, services=services, dependencies=_team_dependencies(uow, owner, [r.id for r in rows])
    )


def _team_dependencies(uow: UnitOfWork, owner: TeamRef, service_ids: list[int]) -> list[TeamApiDependency]:
    if not service_ids:
        return []
    rows = uow.session.execute(
        select(models.Dependency.service_id, models.Dependency.depends_on_id).where(
            models.Dependency.service_id.in_(service_ids)
        )
    )
    pairs = [(a, b) for a, b in rows]
    refs = service_refs_by_id(uow, {a for a, _ in pairs} | {b for _, b in pairs})
    needs: dict[str, list[str]] = defaultdict(list)
    for source, target in pairs:
        other = refs[target].owner_team
        if other and other != owner.key:
            needs[other].append(f"{refs[source].key} depends on {refs[target].key}")
    names = {t.key: t.name for t in teams.team_refs(uow).values()}
    return [
        TeamApiDependency(team=other, team_name=names[other], description="; ".join(sorted(reasons)))
        for other, reasons in sorted(needs.items())
    ]
