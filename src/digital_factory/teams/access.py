"""Finding a team's row and deciding who may maintain it (private to the domain; see service.py)."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import allowed
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import models


def team_row(uow: UnitOfWork, key: str) -> models.Team:
    row = uow.session.scalar(select(models.Team).where(models.Team.key == key))
    if row is None:
        raise NotFound(f"no team with the key {key!r}")
    return row


def require_active(team: models.Team, what: str) -> None:
    """Refuses new things for an archived team (members, domains, interactions, owned services)."""
    if team.archived_at is not None:
        raise Conflict(f"the team {team.key} is archived: restore it before {what}", rule="team-archived")


def require_maintainer(uow: UnitOfWork, team: models.Team) -> None:
    if not may_maintain_row(uow, team):
        raise PermissionDenied(
            f"{uow.actor.name} may not change the team {team.key}: that needs {Permission.TEAMS_WRITE} "
            "or membership of the team"
        )


def may_maintain_row(uow: UnitOfWork, team: models.Team) -> bool:
    actor = uow.actor
    if allowed(actor, Permission.TEAMS_WRITE):
        return True
    if actor.user_id is None or not (actor.permissions - {str(Permission.READ)}):
        return False
    return bool(
        uow.session.scalar(
            select(models.TeamMember.id).where(
                models.TeamMember.team_id == team.id, models.TeamMember.user_id == actor.user_id
            )
        )
    )


def team_by_id(uow: UnitOfWork, id_: int) -> models.Team:
    row = uow.session.get(models.Team, id_)
    if row is None:
        raise NotFound(f"no team with id {id_}")
    return row


def team_key_of(uow: UnitOfWork, team_id: int) -> str:
    key = uow.session.scalar(select(models.Team.key).where(models.Team.id == team_id))
    if key is None:
        raise NotFound(f"no team with id {team_id}")
    return key


def require_either_maintainer(uow: UnitOfWork, team: models.Team, other: models.Team) -> None:
    """Refuses unless the actor may maintain one of two teams (either side of an interaction)."""
    if not (may_maintain_row(uow, team) or may_maintain_row(uow, other)):
        require_maintainer(uow, team)
