"""Who may change what a team owns (DESIGN §4: everything a team makes belongs to it).

A change to a team's object needs the permission for that kind of change (role and token scopes) AND one of:
membership of the owning team, or a role the policy names for that change (admin always; e.g. platform for
templates and delivery policies). A user with a role but in no team owns nothing. The policy table is in
docs/accounts.md; the domains call `require_owner` with their row's owning team."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import allowed, require
from digital_factory.core.actor import Actor
from digital_factory.core.errors import PermissionDenied
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import models

ALWAYS = frozenset({Role.ADMIN})


def is_member(uow: UnitOfWork, team_id: int | None, user_id: int | None) -> bool:
    if team_id is None or user_id is None:
        return False
    found = uow.session.scalar(
        select(models.TeamMember.id).where(models.TeamMember.team_id == team_id, models.TeamMember.user_id == user_id)
    )
    return found is not None


def member_ids(uow: UnitOfWork, team_id: int | None) -> set[int]:
    if team_id is None:
        return set()
    rows = uow.session.scalars(select(models.TeamMember.user_id).where(models.TeamMember.team_id == team_id))
    return set(rows)


def may_change(uow: UnitOfWork, team_id: int | None, roles: Iterable[Role] = ()) -> bool:
    """Whether the actor may change an object owned by `team_id` (the permission itself is checked apart)."""
    actor = uow.actor
    if actor.role in {str(role) for role in (*ALWAYS, *roles)}:
        return True
    return is_member(uow, team_id, actor.user_id)


def require_owner(
    uow: UnitOfWork, team_id: int | None, permission: Permission, *, what: str, roles: Iterable[Role] = ()
) -> None:
    """Refuse unless the actor holds `permission` and owns the object (member of `team_id`) or has one of
    `roles`. `what` names the object for the refusal, e.g. "the secrets of engine-control"."""
    require(uow.actor, permission)
    named = tuple(roles)
    if may_change(uow, team_id, named):
        return
    raise PermissionDenied(_refusal(uow, uow.actor, team_id, what, named))


def _refusal(uow: UnitOfWork, actor: Actor, team_id: int | None, what: str, roles: tuple[Role, ...]) -> str:
    team = uow.session.get(models.Team, team_id) if team_id is not None else None
    owner = f"members of the team {team.key}" if team is not None else "nobody (no team owns it)"
    others = ", ".join(f"the {role} role" for role in (*roles, *ALWAYS))
    return f"{actor.name} may not change {what}: that is for {owner} or {others}"


def may_act(uow: UnitOfWork, team_id: int | None, permission: Permission, roles: Iterable[Role] = ()) -> bool:
    """`require_owner` as a question: does the actor hold `permission` and own the object?"""
    return allowed(uow.actor, permission) and may_change(uow, team_id, roles)
