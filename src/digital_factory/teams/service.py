"""Teams use-cases. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from digital_factory.accounts import audit
from digital_factory.accounts import service as accounts
from digital_factory.accounts.policy import require
from digital_factory.accounts.roles import Permission
from digital_factory.core.errors import Conflict, NotFound
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import models
from digital_factory.teams.schemas import Member, MemberAdd, Team, TeamCreate, TeamType


def create_team(uow: UnitOfWork, data: TeamCreate) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    if uow.session.scalar(select(models.Team.id).where(models.Team.key == data.key)):
        raise Conflict(f"a team with the key {data.key!r} already exists", rule="unique-team-key")
    row = models.Team(
        key=data.key, name=data.name, team_type=str(data.team_type), mission=data.mission, created_at=uow.clock.now()
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, "team.create", "team", row.key, after=data.model_dump(mode="json"))
    return _team_out(uow, row)


def get_team(uow: UnitOfWork, key: str) -> Team:
    return _team_out(uow, team_row(uow, key))


def list_teams(uow: UnitOfWork, page: PageRequest) -> Page[Team]:
    require(uow.actor, Permission.READ)
    total = uow.session.scalar(select(func.count(models.Team.id))) or 0
    rows = uow.session.scalars(select(models.Team).order_by(models.Team.name).limit(page.limit).offset(page.offset))
    return Page(items=[_team_out(uow, r) for r in rows], total=total, limit=page.limit, offset=page.offset)


def add_member(uow: UnitOfWork, team_key: str, data: MemberAdd) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    team = team_row(uow, team_key)
    user = accounts.get_user(uow, data.username)
    exists = uow.session.scalar(
        select(models.TeamMember.id).where(models.TeamMember.team_id == team.id, models.TeamMember.user_id == user.id)
    )
    if exists:
        raise Conflict(f"{data.username} is already a member of {team_key}", rule="unique-member")
    uow.session.add(
        models.TeamMember(team_id=team.id, user_id=user.id, team_role=data.team_role, joined_at=uow.clock.now())
    )
    uow.session.flush()
    audit.record(uow, "team.member-add", "team", team.key, after={"username": user.username, "role": data.team_role})
    return _team_out(uow, team)


def team_row(uow: UnitOfWork, key: str) -> models.Team:
    row = uow.session.scalar(select(models.Team).where(models.Team.key == key))
    if row is None:
        raise NotFound(f"no team with the key {key!r}")
    return row


def team_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a team key, for other domains' foreign keys."""
    return team_row(uow, key).id


def team_key_of(uow: UnitOfWork, team_id_: int) -> str:
    key = uow.session.scalar(select(models.Team.key).where(models.Team.id == team_id_))
    if key is None:
        raise NotFound(f"no team with id {team_id_}")
    return key


def _team_out(uow: UnitOfWork, row: models.Team) -> Team:
    memberships = uow.session.scalars(
        select(models.TeamMember).where(models.TeamMember.team_id == row.id).order_by(models.TeamMember.id)
    ).all()
    users = accounts.users_by_id(uow, [m.user_id for m in memberships])
    members = [
        Member(
            username=users[m.user_id].username,
            display_name=users[m.user_id].display_name,
            team_role=m.team_role,
            joined_at=m.joined_at,
        )
        for m in memberships
    ]
    return Team(
        id=row.id,
        key=row.key,
        name=row.name,
        team_type=TeamType(row.team_type),
        mission=row.mission,
        created_at=row.created_at,
        members=members,
    )
