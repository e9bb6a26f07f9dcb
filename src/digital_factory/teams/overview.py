"""A team with everything about it, its load warnings, and the topology of all teams. Callers own the
transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries, surveys, topology
from digital_factory.teams.domains import domain_out, list_domains
from digital_factory.teams.interactions import interactions_out, list_interactions
from digital_factory.teams.registry import team_out
from digital_factory.teams.schemas import (
    Domain,
    Interaction,
    LoadWarning,
    TeamDetail,
    TeamType,
    Topology,
    TopologyNode,
)


def team_detail(uow: UnitOfWork, key: str) -> TeamDetail:
    """A team with its domains, interactions, load warnings and latest survey score."""
    require(uow.actor, Permission.READ)
    team = team_out(uow, access.team_row(uow, key))
    domains = list_domains(uow, team=key)
    interactions = list_interactions(uow, team=key)
    types = _types_of(uow, [i.team for i in interactions] + [i.with_team for i in interactions] + [key])
    results = surveys.survey_results(uow, key)
    return TeamDetail(
        **team.model_dump(),
        domains=domains,
        interactions=interactions,
        warnings=_warnings(
            key,
            members=len(team.members),
            domains=domains,
            interactions=interactions,
            types=types,
            today=uow.clock.now().date(),
        ),
        latest_survey=results.latest,
    )


def team_warnings(uow: UnitOfWork, key: str) -> list[LoadWarning]:
    return team_detail(uow, key).warnings


def topology_view(uow: UnitOfWork) -> Topology:
    """Every team (archived ones left out) with its size and warning count, and the interactions going on
    today between them."""
    require(uow.actor, Permission.READ)
    rows = list(
        uow.session.scalars(select(models.Team).where(models.Team.archived_at.is_(None)).order_by(models.Team.name))
    )
    members = queries.memberships(uow.session, [r.id for r in rows])
    all_domains = queries.domains(uow.session)
    interactions = interactions_out(uow, queries.interactions(uow.session))
    types = {r.key: TeamType(r.team_type) for r in rows}
    today = uow.clock.now().date()
    nodes = []
    for row in rows:
        owned = [domain_out(d, {row.id: row.key}) for d in all_domains if d.team_id == row.id]
        mine = [i for i in interactions if row.key in (i.team, i.with_team)]
        size = len(members.get(row.id, []))
        count = len(_warnings(row.key, members=size, domains=owned, interactions=mine, types=types, today=today))
        nodes.append(
            TopologyNode(key=row.key, name=row.name, team_type=TeamType(row.team_type), members=size, warnings=count)
        )
    shown = [i for i in interactions if i.current and i.team in types and i.with_team in types]
    return Topology(teams=nodes, interactions=shown)


def _types_of(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, TeamType]:
    rows = uow.session.execute(select(models.Team.key, models.Team.team_type).where(models.Team.key.in_(set(keys))))
    return {key: TeamType(kind) for key, kind in rows}


def _warnings(
    key: str,
    *,
    members: int,
    domains: list[Domain],
    interactions: list[Interaction],
    types: dict[str, TeamType],
    today: date,
) -> list[LoadWarning]:
    return (
        topology.domain_load_warnings([(d.name, d.complexity) for d in domains])
        + topology.team_size_warnings(members)
        + topology.interaction_warnings(key, types, interactions, today)
    )
