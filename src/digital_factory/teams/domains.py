"""The domains a team owns: one team per domain. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, NotFound
from digital_factory.core.slugs import slugify
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries
from digital_factory.teams.schemas import Complexity, Domain, DomainCreate, DomainUpdate


def add_domain(uow: UnitOfWork, team_key: str, data: DomainCreate) -> Domain:
    """A new domain owned by the team. A domain belongs to one team: split a big one rather than share it."""
    team = access.team_row(uow, team_key)
    access.require_maintainer(uow, team)
    access.require_active(team, "giving it domains")
    key = data.key or slugify(data.name)
    existing = uow.session.scalar(
        select(models.Domain).where(or_(models.Domain.key == key, models.Domain.name == data.name))
    )
    if existing is not None:
        owner = access.team_key_of(uow, existing.team_id) if existing.team_id else None
        held = f"owned by {owner}" if owner else "unowned; take it over with an update of its owner"
        raise Conflict(
            f"the domain {existing.name!r} ({existing.key}) already exists, {held}; a domain belongs to one team",
            rule="one-team-per-domain",
        )
    row = models.Domain(
        key=key,
        name=data.name,
        complexity=str(data.complexity),
        description=data.description,
        team_id=team.id,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, "domain.create", "domain", key, after={**data.model_dump(mode="json"), "team": team.key})
    return domain_out(row, {team.id: team.key})


def update_domain(uow: UnitOfWork, key: str, data: DomainUpdate) -> Domain:
    row = _domain_row(uow, key)
    _require_domain_maintainer(uow, row)
    before = _domain_view(uow, row)
    if data.name is not None and data.name != row.name:
        if uow.session.scalar(select(models.Domain.id).where(models.Domain.name == data.name)):
            raise Conflict(f"a domain named {data.name!r} already exists", rule="unique-domain-name")
        row.name = data.name
    if data.complexity is not None:
        row.complexity = str(data.complexity)
    if data.description is not None:
        row.description = data.description
    if "owner_team" in data.model_fields_set:
        require(uow.actor, Permission.TEAMS_WRITE)  # moving a domain between teams is an organisational decision
        owner = access.team_row(uow, data.owner_team) if data.owner_team else None
        if owner is not None:
            access.require_active(owner, "giving it domains")
        row.team_id = owner.id if owner else None
    uow.session.flush()
    record_audit(uow, "domain.update", "domain", row.key, before=before, after=_domain_view(uow, row))
    return domain_out(row, _team_keys(uow, [row.team_id]))


def delete_domain(uow: UnitOfWork, key: str) -> None:
    row = _domain_row(uow, key)
    _require_domain_maintainer(uow, row)
    before = _domain_view(uow, row)
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "domain.delete", "domain", key, before=before)


def get_domain(uow: UnitOfWork, key: str) -> Domain:
    require(uow.actor, Permission.READ)
    row = _domain_row(uow, key)
    return domain_out(row, _team_keys(uow, [row.team_id]))


def list_domains(uow: UnitOfWork, *, team: str | None = None) -> list[Domain]:
    require(uow.actor, Permission.READ)
    rows = queries.domains(uow.session, [access.team_row(uow, team).id] if team else None)
    keys = _team_keys(uow, [r.team_id for r in rows])
    return [domain_out(r, keys) for r in rows]


def domain_counts(uow: UnitOfWork, team_keys: Iterable[str]) -> dict[str, int]:
    """How many domains each of these teams owns (0 for none), by team key: one query."""
    require(uow.actor, Permission.READ)
    wanted = set(team_keys)
    if not wanted:
        return {}
    team, domain = models.Team, models.Domain
    query = (
        select(team.key, func.count(domain.id))
        .outerjoin(domain, domain.team_id == team.id)
        .where(team.key.in_(wanted))
        .group_by(team.key)
    )
    return {key: count for key, count in uow.session.execute(query)}


def domain_out(row: models.Domain, team_keys: dict[int, str]) -> Domain:
    """The domain with its owner's key, from `team_keys` (team id -> key)."""
    return Domain(
        id=row.id,
        key=row.key,
        name=row.name,
        complexity=Complexity(row.complexity),
        description=row.description,
        owner_team=team_keys.get(row.team_id) if row.team_id else None,
        created_at=row.created_at,
    )


def _require_domain_maintainer(uow: UnitOfWork, row: models.Domain) -> None:
    """The owning team's maintainers change a domain; an unowned one needs `teams:write`."""
    if row.team_id is not None:
        access.require_maintainer(uow, access.team_by_id(uow, row.team_id))
    else:
        require(uow.actor, Permission.TEAMS_WRITE)


def _domain_row(uow: UnitOfWork, key: str) -> models.Domain:
    row = uow.session.scalar(select(models.Domain).where(models.Domain.key == key))
    if row is None:
        raise NotFound(f"no domain with the key {key!r}")
    return row


def _domain_view(uow: UnitOfWork, row: models.Domain) -> dict[str, Any]:
    owner = access.team_key_of(uow, row.team_id) if row.team_id else None
    return {"name": row.name, "complexity": row.complexity, "description": row.description, "team": owner}


def _team_keys(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    return {tid: row.key for tid, row in queries.teams_by_id(uow.session, [i for i in ids if i]).items()}
