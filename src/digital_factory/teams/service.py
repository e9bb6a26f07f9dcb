"""Teams use-cases: teams, members, owned domains, interactions, load warnings. Callers own the transaction.

Who may change what: `teams:write` may change any team. A member of a team who may change anything at
all in the product (any permission beyond `read`) maintains their own team: its mission and Team API
profile, member roles, owned domains, interactions and survey answers. Creating teams, changing a
team's type, adding or removing members and importing Team API documents need `teams:write`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.slugs import slugify
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import access, models, queries, surveys, topology
from digital_factory.teams.access import may_maintain_row
from digital_factory.teams.schemas import (
    Complexity,
    Domain,
    DomainCreate,
    DomainUpdate,
    DurationUnit,
    Interaction,
    InteractionCreate,
    InteractionMode,
    InteractionUpdate,
    LoadWarning,
    Member,
    MemberAdd,
    MemberUpdate,
    Team,
    TeamCreate,
    TeamDetail,
    TeamProfile,
    TeamRef,
    TeamType,
    TeamUpdate,
    Topology,
    TopologyNode,
)

# Keys that name pages and endpoints under /teams/ rather than a team.
RESERVED_KEYS = frozenset({"import"})

# --- teams ---------------------------------------------------------------------------------------------


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
    return _team_out(uow, row)


def update_team(uow: UnitOfWork, key: str, data: TeamUpdate) -> Team:
    team = team_row(uow, key)
    require_maintainer(uow, team)
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
    return _team_out(uow, team)


def get_team(uow: UnitOfWork, key: str) -> Team:
    require(uow.actor, Permission.READ)
    return _team_out(uow, team_row(uow, key))


def list_teams(uow: UnitOfWork, page: PageRequest, *, team_type: TeamType | None = None) -> Page[Team]:
    require(uow.actor, Permission.READ)
    query = select(models.Team)
    if team_type is not None:
        query = query.where(models.Team.team_type == str(team_type))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(uow.session.scalars(query.order_by(models.Team.name).limit(page.limit).offset(page.offset)))
    return Page(items=_teams_out(uow, rows), total=total, limit=page.limit, offset=page.offset)


def team_detail(uow: UnitOfWork, key: str) -> TeamDetail:
    """A team with its domains, interactions, load warnings and latest survey score."""
    require(uow.actor, Permission.READ)
    row = team_row(uow, key)
    team = _team_out(uow, row)
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


def team_row(uow: UnitOfWork, key: str) -> models.Team:
    """The row behind a team key (for this domain's modules)."""
    return access.team_row(uow, key)


def require_maintainer(uow: UnitOfWork, team: models.Team) -> None:
    """Refuses unless the actor may maintain this team (see the module's docstring)."""
    access.require_maintainer(uow, team)


def team_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a team key, for other domains' foreign keys."""
    return team_row(uow, key).id


def team_key_of(uow: UnitOfWork, team_id_: int) -> str:
    key = uow.session.scalar(select(models.Team.key).where(models.Team.id == team_id_))
    if key is None:
        raise NotFound(f"no team with id {team_id_}")
    return key


def team_refs(uow: UnitOfWork, ids: Iterable[int] | None = None) -> dict[int, TeamRef]:
    """Teams by id (all of them when `ids` is None), for other domains' lists: one query."""
    query = select(models.Team)
    if ids is not None:
        query = query.where(models.Team.id.in_(set(ids)))
    return {row.id: _ref(row) for row in uow.session.scalars(query)}


def team_ref(uow: UnitOfWork, key: str) -> TeamRef:
    return _ref(team_row(uow, key))


def may_maintain(uow: UnitOfWork, key: str) -> bool:
    """Whether the actor may maintain this team's own things (see the module's docstring)."""
    return may_maintain_row(uow, team_row(uow, key))


def _team_view(team: models.Team) -> dict[str, Any]:
    return {"name": team.name, "team_type": team.team_type, "mission": team.mission, "profile": team.profile}


def _ref(row: models.Team) -> TeamRef:
    return TeamRef(id=row.id, key=row.key, name=row.name, team_type=TeamType(row.team_type))


def _team_out(uow: UnitOfWork, row: models.Team) -> Team:
    return _teams_out(uow, [row])[0]


def _teams_out(uow: UnitOfWork, rows: list[models.Team]) -> list[Team]:
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


# --- members ----------------------------------------------------------------------------------------------


def add_member(uow: UnitOfWork, team_key: str, data: MemberAdd) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    team = team_row(uow, team_key)
    user = accounts.get_user(uow, data.username)
    if _membership(uow, team, user.id) is not None:
        raise Conflict(f"{data.username} is already a member of {team_key}", rule="unique-member")
    uow.session.add(
        models.TeamMember(team_id=team.id, user_id=user.id, team_role=data.team_role, joined_at=uow.clock.now())
    )
    uow.session.flush()
    record_audit(uow, "team.member-add", "team", team.key, after={"username": user.username, "role": data.team_role})
    return _team_out(uow, team)


def update_member(uow: UnitOfWork, team_key: str, username: str, data: MemberUpdate) -> Team:
    team = team_row(uow, team_key)
    require_maintainer(uow, team)
    membership = _existing_membership(uow, team, username)
    before = {"username": username, "role": membership.team_role}
    membership.team_role = data.team_role
    uow.session.flush()
    record_audit(
        uow, "team.member-role", "team", team.key, before=before, after={"username": username, "role": data.team_role}
    )
    return _team_out(uow, team)


def remove_member(uow: UnitOfWork, team_key: str, username: str) -> Team:
    require(uow.actor, Permission.TEAMS_WRITE)
    team = team_row(uow, team_key)
    membership = _existing_membership(uow, team, username)
    before = {"username": username, "role": membership.team_role}
    uow.session.delete(membership)
    uow.session.flush()
    record_audit(uow, "team.member-remove", "team", team.key, before=before)
    return _team_out(uow, team)


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
    return [_ref(r) for r in rows]


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


# --- owned domains ------------------------------------------------------------------------------------------


def add_domain(uow: UnitOfWork, team_key: str, data: DomainCreate) -> Domain:
    """A new domain owned by the team. A domain belongs to one team: split a big one rather than share it."""
    team = team_row(uow, team_key)
    require_maintainer(uow, team)
    key = data.key or slugify(data.name)
    existing = uow.session.scalar(
        select(models.Domain).where(or_(models.Domain.key == key, models.Domain.name == data.name))
    )
    if existing is not None:
        owner = team_key_of(uow, existing.team_id) if existing.team_id else None
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
    return _domain_out(row, {team.id: team.key})


def update_domain(uow: UnitOfWork, key: str, data: DomainUpdate) -> Domain:
    row = _domain_row(uow, key)
    if row.team_id is not None:
        require_maintainer(uow, _team_by_id(uow, row.team_id))
    else:
        require(uow.actor, Permission.TEAMS_WRITE)
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
        row.team_id = team_id(uow, data.owner_team) if data.owner_team else None
    uow.session.flush()
    record_audit(uow, "domain.update", "domain", row.key, before=before, after=_domain_view(uow, row))
    return _domain_out(row, _team_keys(uow, [row.team_id]))


def delete_domain(uow: UnitOfWork, key: str) -> None:
    row = _domain_row(uow, key)
    if row.team_id is not None:
        require_maintainer(uow, _team_by_id(uow, row.team_id))
    else:
        require(uow.actor, Permission.TEAMS_WRITE)
    before = _domain_view(uow, row)
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "domain.delete", "domain", key, before=before)


def get_domain(uow: UnitOfWork, key: str) -> Domain:
    require(uow.actor, Permission.READ)
    row = _domain_row(uow, key)
    return _domain_out(row, _team_keys(uow, [row.team_id]))


def list_domains(uow: UnitOfWork, *, team: str | None = None) -> list[Domain]:
    require(uow.actor, Permission.READ)
    rows = queries.domains(uow.session, [team_id(uow, team)] if team else None)
    keys = _team_keys(uow, [r.team_id for r in rows])
    return [_domain_out(r, keys) for r in rows]


def _domain_row(uow: UnitOfWork, key: str) -> models.Domain:
    row = uow.session.scalar(select(models.Domain).where(models.Domain.key == key))
    if row is None:
        raise NotFound(f"no domain with the key {key!r}")
    return row


def _domain_view(uow: UnitOfWork, row: models.Domain) -> dict[str, Any]:
    owner = team_key_of(uow, row.team_id) if row.team_id else None
    return {"name": row.name, "complexity": row.complexity, "description": row.description, "team": owner}


def _domain_out(row: models.Domain, team_keys: dict[int, str]) -> Domain:
    return Domain(
        id=row.id,
        key=row.key,
        name=row.name,
        complexity=Complexity(row.complexity),
        description=row.description,
        owner_team=team_keys.get(row.team_id) if row.team_id else None,
        created_at=row.created_at,
    )


def _team_keys(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    return {tid: row.key for tid, row in queries.teams_by_id(uow.session, [i for i in ids if i]).items()}


def _team_by_id(uow: UnitOfWork, id_: int) -> models.Team:
    row = uow.session.get(models.Team, id_)
    if row is None:
        raise NotFound(f"no team with id {id_}")
    return row


# --- interactions -------------------------------------------------------------------------------------------------


def create_interaction(uow: UnitOfWork, data: InteractionCreate) -> Interaction:
    """Records how two teams work together. Refused: a team with itself, an end before the start, and a
    second interaction of the same mode and direction between the same teams over an overlapping period."""
    team, other = team_row(uow, data.team), team_row(uow, data.with_team)
    if not (may_maintain_row(uow, team) or may_maintain_row(uow, other)):
        require_maintainer(uow, team)
    starts_on = data.starts_on or uow.clock.now().date()
    check_interaction(uow, team, other, mode=data.mode, starts_on=starts_on, ends_on=data.ends_on)
    row = models.Interaction(
        team_id=team.id,
        other_team_id=other.id,
        mode=str(data.mode),
        purpose=data.purpose,
        starts_on=starts_on,
        ends_on=data.ends_on,
        expected_duration=data.expected_duration,
        expected_duration_unit=str(data.expected_duration_unit) if data.expected_duration_unit else None,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    out = _interactions_out(uow, [row])[0]
    record_audit(uow, "interaction.create", "interaction", row.id, after=_interaction_view(out))
    return out


def check_interaction(
    uow: UnitOfWork,
    team: models.Team,
    other: models.Team,
    *,
    mode: InteractionMode,
    starts_on: date,
    ends_on: date | None,
    ignore_id: int | None = None,
) -> None:
    if team.id == other.id:
        raise ValidationFailed.on("with_team", "a team does not interact with itself")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed.on("ends_on", f"ends before it starts ({starts_on.isoformat()})")
    pairs = [(team.id, other.id)]
    if mode is InteractionMode.COLLABORATION:
        pairs.append((other.id, team.id))
    query = select(models.Interaction).where(
        models.Interaction.mode == str(mode),
        or_(*[(models.Interaction.team_id == a) & (models.Interaction.other_team_id == b) for a, b in pairs]),
    )
    for existing in uow.session.scalars(query):
        if existing.id != ignore_id and _overlap(existing.starts_on, existing.ends_on, starts_on, ends_on):
            raise Conflict(
                f"{team.key} and {other.key} already have a {mode.value} interaction from "
                f"{existing.starts_on.isoformat()} to {existing.ends_on.isoformat() if existing.ends_on else 'open'}"
                "; end it first or change that one",
                rule="one-interaction-per-mode",
            )


def _overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def update_interaction(uow: UnitOfWork, interaction_id: int, data: InteractionUpdate) -> Interaction:
    row = _interaction_row(uow, interaction_id)
    _require_interaction_maintainer(uow, row)
    before = _interaction_view(_interactions_out(uow, [row])[0])
    if data.reopen and data.ends_on is not None:
        raise ValidationFailed.on("reopen", "send either ends_on or reopen")
    if (data.expected_duration is None) != (data.expected_duration_unit is None):
        raise ValidationFailed.on("expected_duration", "expected_duration and expected_duration_unit go together")
    ends_on = None if data.reopen else (data.ends_on if data.ends_on is not None else row.ends_on)
    team, other = _team_by_id(uow, row.team_id), _team_by_id(uow, row.other_team_id)
    check_interaction(
        uow, team, other, mode=InteractionMode(row.mode), starts_on=row.starts_on, ends_on=ends_on, ignore_id=row.id
    )
    row.ends_on = ends_on
    if data.purpose is not None:
        row.purpose = data.purpose
    if data.expected_duration is not None and data.expected_duration_unit is not None:
        row.expected_duration = data.expected_duration
        row.expected_duration_unit = str(data.expected_duration_unit)
    uow.session.flush()
    out = _interactions_out(uow, [row])[0]
    record_audit(uow, "interaction.update", "interaction", row.id, before=before, after=_interaction_view(out))
    return out


def end_interaction(uow: UnitOfWork, interaction_id: int, on: date | None = None) -> Interaction:
    """Ends an interaction (today unless told), e.g. when a collaboration becomes x-as-a-service."""
    day = on or uow.clock.now().date()
    row = _interaction_row(uow, interaction_id)
    return update_interaction(uow, interaction_id, InteractionUpdate(ends_on=max(day, row.starts_on)))


def delete_interaction(uow: UnitOfWork, interaction_id: int) -> None:
    """Removes an interaction recorded by mistake (ending one keeps the history: prefer that)."""
    row = _interaction_row(uow, interaction_id)
    _require_interaction_maintainer(uow, row)
    before = _interaction_view(_interactions_out(uow, [row])[0])
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "interaction.delete", "interaction", interaction_id, before=before)


def get_interaction(uow: UnitOfWork, interaction_id: int) -> Interaction:
    require(uow.actor, Permission.READ)
    return _interactions_out(uow, [_interaction_row(uow, interaction_id)])[0]


def list_interactions(uow: UnitOfWork, *, team: str | None = None, current: bool = False) -> list[Interaction]:
    require(uow.actor, Permission.READ)
    rows = queries.interactions(uow.session, team_id(uow, team) if team else None)
    found = _interactions_out(uow, rows)
    return [i for i in found if i.current] if current else found


def _interaction_row(uow: UnitOfWork, interaction_id: int) -> models.Interaction:
    row = uow.session.get(models.Interaction, interaction_id)
    if row is None:
        raise NotFound(f"no interaction with id {interaction_id}")
    return row


def _require_interaction_maintainer(uow: UnitOfWork, row: models.Interaction) -> None:
    team, other = _team_by_id(uow, row.team_id), _team_by_id(uow, row.other_team_id)
    if not (may_maintain_row(uow, team) or may_maintain_row(uow, other)):
        require_maintainer(uow, team)


def _interactions_out(uow: UnitOfWork, rows: list[models.Interaction]) -> list[Interaction]:
    teams = queries.teams_by_id(uow.session, [r.team_id for r in rows] + [r.other_team_id for r in rows])
    today = uow.clock.now().date()
    out = []
    for row in rows:
        unit = DurationUnit(row.expected_duration_unit) if row.expected_duration_unit else None
        out.append(
            Interaction(
                id=row.id,
                team=teams[row.team_id].key,
                team_name=teams[row.team_id].name,
                with_team=teams[row.other_team_id].key,
                with_team_name=teams[row.other_team_id].name,
                mode=InteractionMode(row.mode),
                purpose=row.purpose,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                expected_duration=row.expected_duration,
                expected_duration_unit=unit,
                expected_end=topology.expected_end(row.starts_on, row.expected_duration, unit),
                current=topology.is_current(row.starts_on, row.ends_on, today),
                created_at=row.created_at,
            )
        )
    return out


def _interaction_view(i: Interaction) -> dict[str, Any]:
    return i.model_dump(
        mode="json",
        include={"team", "with_team", "mode", "purpose", "starts_on", "ends_on", "expected_duration"},
    )


# --- warnings and the topology ------------------------------------------------------------------------------------


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


def topology_view(uow: UnitOfWork) -> Topology:
    """Every team with its size and warning count, and the interactions going on today."""
    require(uow.actor, Permission.READ)
    rows = list(uow.session.scalars(select(models.Team).order_by(models.Team.name)))
    members = queries.memberships(uow.session, [r.id for r in rows])
    all_domains = queries.domains(uow.session)
    interactions = _interactions_out(uow, queries.interactions(uow.session))
    types = {r.key: TeamType(r.team_type) for r in rows}
    today = uow.clock.now().date()
    nodes = []
    for row in rows:
        owned = [
            Domain(
                id=d.id,
                key=d.key,
                name=d.name,
                complexity=Complexity(d.complexity),
                description=d.description,
                owner_team=row.key,
                created_at=d.created_at,
            )
            for d in all_domains
            if d.team_id == row.id
        ]
        mine = [i for i in interactions if row.key in (i.team, i.with_team)]
        count = len(
            _warnings(
                row.key,
                members=len(members.get(row.id, [])),
                domains=owned,
                interactions=mine,
                types=types,
                today=today,
            )
        )
        nodes.append(
            TopologyNode(
                key=row.key,
                name=row.name,
                team_type=TeamType(row.team_type),
                members=len(members.get(row.id, [])),
                warnings=count,
            )
        )
    return Topology(teams=nodes, interactions=[i for i in interactions if i.current])


__all__ = [
    "RESERVED_KEYS",
    "add_domain",
    "add_member",
    "check_interaction",
    "create_interaction",
    "create_team",
    "delete_domain",
    "delete_interaction",
    "end_interaction",
    "get_domain",
    "get_interaction",
    "get_team",
    "list_domains",
    "list_interactions",
    "list_teams",
    "may_maintain",
    "member_teams",
    "remove_member",
    "require_maintainer",
    "team_detail",
    "team_id",
    "team_key_of",
    "team_ref",
    "team_refs",
    "team_row",
    "team_warnings",
    "topology_view",
    "update_domain",
    "update_interaction",
    "update_member",
    "update_team",
]
