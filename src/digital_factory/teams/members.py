"""Who is in a team and in which role. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, NotFound
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models
from digital_factory.teams.registry import team_out
from digital_factory.teams.schemas import MemberAdd, MemberUpdate, Team, TeamRef


def add_member(uow: UnitOfWork, team_key: str, data: MemberAdd) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    team = access.team_row(uow, team_key)
    access.require_active(team, "adding members")
    user = accounts.get_user(uow, data.username)
    if _membership(uow, team, user.id) is not None:
        raise Conflict(f"{data.username} is already a member of {team_key}", rule="unique-member")
    uow.session.add(
        models.TeamMember(team_id=team.id, user_id=user.id, team_role=data.team_role, joined_at=uow.clock.now())
    )
    uow.session.flush()
    record_audit(uow, "team.member-add", "team", team.key, after={"username": user.username, "role": data.team_role})
    return team_out(uow, team)


def update_member(uow: UnitOfWork, team_key: str, username: str, data: MemberUpdate) -> Team:
    team = access.team_row(uow, team_key)
    access.require_maintainer(uow, team)
    membership = _existing_membership(uow, team, username)
    before = {"username": username, "role": membership.team_role}
    membership.team_role = data.team_role
    uow.session.flush()
    record_audit(
        uow, "team.member-role", "team", team.key, before=before, after={"username": username, "role": data.team_role}
    )
    return team_out(uow, team)


def remove_member(uow: UnitOfWork, team_key: str, username: str) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    team = access.team_row(uow, team_key)
    membership = _existing_membership(uow, team, username)
    before = {"username": username, "role": membership.team_role}
    uow.session.delete(membership)
    uow.session.flush()
    record_audit(uow, "team.member-remove", "team", team.key, before=before)
    return team_out(uow, team)


def member_teams(uow: UnitOfWork, username: str) -> list[TeamRef]:
    """The teams a person belongs to."""
    require(uow.actor, Permission.READ)
    user = accounts.get_user(uow, username)
    rows = uow.session.scalars(
        select(models.Team)
        .join(models.TeamMember, models.TeamMember.team_id == models.Team.id)
        .where(models.TeamMember.user_id == user.id)
        .order_by(models.Team.name)
    )
    return [TeamRef.model_validate(r) for r in rows]


def _membership(uow: UnitOfWork, team: models.Team, user_id: int) -> models.TeamMember | None:
    return uow.session.scalar(
        select(models.TeamMember).where(models.TeamMember.team_id == team.id, models.TeamMember.user_id == user_id)
    )


def _existing_membership(uow: UnitOfWork, team: models.Team, username: str) -> models.TeamMember:
    user = accounts.get_user(uow, username)
    membership = _membership(uow, team, user.id)
    if membership is None:
        raise NotFound(f"{username} is not a member of {team.key}")
    return membership
