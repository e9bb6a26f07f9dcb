"""Ownership through the service: a service's repository, environments, secrets, flags, client keys, runs,
deployments and incidents belong to the service's owning team (docs/accounts.md, "Ownership")."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.catalog import models
from digital_factory.core.errors import NotFound, PermissionDenied
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams


def owning_team_id(uow: UnitOfWork, service_key: str) -> int | None:
    found = uow.session.execute(
        select(models.Service.id, models.Service.owner_team_id).where(models.Service.key == service_key)
    ).first()
    if found is None:
        raise NotFound(f"no service with the key {service_key!r}")
    owner: int | None = found.owner_team_id
    return owner


def require_service_owner(
    uow: UnitOfWork, service_key: str, permission: Permission, *, what: str, roles: Iterable[Role] = ()
) -> None:
    """Refuse a change to something of `service_key` unless the actor holds `permission` and is a member of
    the service's owning team, or has one of `roles` (admin always)."""
    teams.require_owner(uow, owning_team_id(uow, service_key), permission, what=what, roles=roles)


def may_change_service(uow: UnitOfWork, service_key: str, permission: Permission, roles: Iterable[Role] = ()) -> bool:
    """The same decision without raising, for pages that offer only what the person may do."""
    return teams.may_act(uow, owning_team_id(uow, service_key), permission, roles)


def may_approve(uow: UnitOfWork, service_key: str, environment: str, requester_user_id: int | None) -> bool:
    """Whether the actor is entitled to be the second person for a change to `environment` of the service:
    not the requester, and a member of the owning team or of the environment's approver group (admin too)."""
    actor = uow.actor
    if actor.user_id is not None and actor.user_id == requester_user_id:
        return False
    if actor.role == str(Role.ADMIN):
        return True
    team_id = owning_team_id(uow, service_key)
    if teams.is_member(uow, team_id, actor.user_id):
        return True
    return _in_approver_group(uow, service_key, environment)


def require_entitled_approver(
    uow: UnitOfWork, service_key: str, environment: str, requester_user_id: int | None, *, what: str
) -> None:
    """Refuse unless the actor may approve (see `may_approve`); the reason names who may."""
    if may_approve(uow, service_key, environment, requester_user_id):
        return
    if uow.actor.user_id is not None and uow.actor.user_id == requester_user_id:
        raise PermissionDenied(f"{uow.actor.name} requested {what} and may not also approve it: a second person must")
    group = ", ".join(_approvers(uow, service_key, environment)) or "none configured"
    raise PermissionDenied(
        f"{uow.actor.name} may not approve {what}: that is for members of the service's owning team other than "
        f"the requester, or the approver group of {service_key}/{environment} ({group})"
    )


def _approvers(uow: UnitOfWork, service_key: str, environment: str) -> list[str]:
    found = uow.session.scalar(
        select(models.Environment.approvers)
        .join(models.Service, models.Service.id == models.Environment.service_id)
        .where(models.Service.key == service_key, models.Environment.name == environment)
    )
    return list(found or [])


def _in_approver_group(uow: UnitOfWork, service_key: str, environment: str) -> bool:
    """The group lists usernames and `team:<key>` entries."""
    actor = uow.actor
    for entry in _approvers(uow, service_key, environment):
        kind, _, name = entry.rpartition(":")
        if kind == "team" and teams.is_member(uow, teams.team_id(uow, name), actor.user_id):
            return True
        if not kind and actor.user_id is not None and name == actor.name:
            return True
    return False
