"""Teams themselves: creating, changing, finding and referring to them. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.paging import paginate
from digital_factory.store.search import any_contains
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries
from digital_factory.teams.schemas import Member, Team, TeamCreate, TeamProfile, TeamRef, TeamType, TeamUpdate

# Keys that name pages and endpoints under /teams/ rather than a team.
RESERVED_KEYS = frozenset({"import"})


def create_team(uow: UnitOfWork, data: TeamCreate) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    if data.key in RESERVED_KEYS:
        raise ValidationFailed.on("key", f"{data.key!r} is reserved; choose another key")
    if uow.session.scalar(select(models.Team.id).where(models.Team.key == data.key)):
        raise Conflict(f"a team with the key {data.key!r} already exists", rule="unique-team-key")
    row = models.Team(
        key=data.key,
        name=data.name,
        team_type=str(data.team_type),
        mission=data.mission,
        created_at=uow.clock.now(),
        profile={},
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, "team.create", "team", row.key, after=data.model_dump(mode="json"))
    return team_out(uow, row)


def update_team(uow: UnitOfWork, key: str, data: TeamUpdate) -> Team:
    team = access.team_row(uow, key)
    access.require_maintainer(uow, team)
    if data.team_type is not None and str(data.team_type) != team.team_type:
        require(uow.actor, Permission.TEAMS_WRITE)
    before = _team_view(team)
    if data.name is not None:
        team.name = data.name
    if data.team_type is not None:
        team.team_type = str(data.team_type)
    if data.mission is not None:
        team.mission = data.mission
    if data.profile is not None:
        team.profile = data.profile.model_dump(mode="json")
    uow.session.flush()
    record_audit(uow, "team.update", "team", team.key, before=before, after=_team_view(team))
    return team_out(uow, team)


def archive_team(uow: UnitOfWork, key: str) -> Team:
    """Archives a team: it leaves pickers and lists (unless asked for), and gets no new members, domains,
    interactions or services. What it owns keeps working: its services still build, deploy and release,
    its members keep their membership (and so their say over those services), its history stays."""
    require(uow.actor, Permission.TEAMS_WRITE)
    team = access.team_row(uow, key)
    if team.archived_at is None:
        team.archived_at = uow.clock.now()
        uow.session.flush()
        record_audit(uow, "team.archive", "team", team.key, before={"archived": False}, after={"archived": True})
    return team_out(uow, team)


def restore_team(uow: UnitOfWork, key: str) -> Team:
    """Brings an archived team back into pickers and lists."""
    require(uow.actor, Permission.TEAMS_WRITE)
    team = access.team_row(uow, key)
    if team.archived_at is not None:
        team.archived_at = None
        uow.session.flush()
        record_audit(uow, "team.restore", "team", team.key, before={"archived": True}, after={"archived": False})
    return team_out(uow, team)


def get_team(uow: UnitOfWork, key: str) -> Team:
    require(uow.actor, Permission.READ)
    return team_out(uow, access.team_row(uow, key))


def list_teams(
    uow: UnitOfWork, page: PageRequest, *, team_type: TeamType | None = None, include_archived: bool = False
) -> Page[Team]:
    """Teams by name; archived teams only when asked for."""
    require(uow.actor, Permission.READ)
    query = select(models.Team)
    if not include_archived:
        query = query.where(models.Team.archived_at.is_(None))
    if team_type is not None:
        query = query.where(models.Team.team_type == str(team_type))
    return paginate(uow.session, query, page, partial(teams_out, uow), order_by=[models.Team.name])


def team_row(uow: UnitOfWork, key: str) -> models.Team:
    """The row behind a team key (for this domain's modules)."""
    return access.team_row(uow, key)


def require_maintainer(uow: UnitOfWork, team: models.Team) -> None:
    """Refuses unless the actor may maintain this team (see the face's docstring)."""
    access.require_maintainer(uow, team)


def team_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a team key, for other domains' foreign keys."""
    return access.team_row(uow, key).id


def team_key_of(uow: UnitOfWork, team_id_: int) -> str:
    return access.team_key_of(uow, team_id_)


def team_refs(uow: UnitOfWork, ids: Iterable[int] | None = None) -> dict[int, TeamRef]:
    """Teams by id (all of them when `ids` is None), for other domains' lists: one query."""
    team = models.Team
    # the columns a reference shows, not the whole row (its JSON profile is the costly part to read)
    query = select(team.id, team.key, team.name, team.team_type, team.archived_at)
    if ids is not None:
        query = query.where(team.id.in_(set(ids)))
    return {row.id: TeamRef.model_validate(row) for row in uow.session.execute(query)}


def team_matches(
    uow: UnitOfWork, text: str = "", *, limit: int = 20, team_type: TeamType | None = None
) -> list[TeamRef]:
    """Active teams whose key or name holds `text`, by name: at most `limit` of them, for a picker that
    narrows as one types (one query)."""
    require(uow.actor, Permission.READ)
    team = models.Team
    query = select(team.id, team.key, team.name, team.team_type, team.archived_at).where(team.archived_at.is_(None))
    if team_type is not None:
        query = query.where(team.team_type == str(team_type))
    words = text.strip()
    if words:
        query = query.where(any_contains(words, team.key, team.name))
    rows = uow.session.execute(query.order_by(team.name, team.key).limit(limit))
    return [TeamRef.model_validate(row) for row in rows]


def team_ref(uow: UnitOfWork, key: str) -> TeamRef:
    return TeamRef.model_validate(access.team_row(uow, key))


def may_maintain(uow: UnitOfWork, key: str) -> bool:
    """Whether the actor may maintain this team's own things (see the face's docstring)."""
    return access.may_maintain_row(uow, access.team_row(uow, key))


def _team_view(team: models.Team) -> dict[str, Any]:
    return {"name": team.name, "team_type": team.team_type, "mission": team.mission, "profile": team.profile}


def team_out(uow: UnitOfWork, row: models.Team) -> Team:
    return teams_out(uow, [row])[0]


def teams_out(uow: UnitOfWork, rows: Sequence[models.Team]) -> list[Team]:
    """Teams with their members: two queries, however many teams."""
    by_team = queries.memberships(uow.session, [r.id for r in rows])
    users = accounts.users_by_id(uow, [m.user_id for ms in by_team.values() for m in ms])
    return [
        Team(
            id=row.id,
            key=row.key,
            name=row.name,
            team_type=TeamType(row.team_type),
            mission=row.mission,
            created_at=row.created_at,
            archived_at=row.archived_at,
            members=[
                Member(
                    username=users[m.user_id].username,
                    display_name=users[m.user_id].display_name,
                    team_role=m.team_role,
                    joined_at=m.joined_at,
                )
                for m in by_team.get(row.id, [])
            ],
            profile=TeamProfile.model_validate(row.profile or {}),
        )
        for row in rows
    ]
