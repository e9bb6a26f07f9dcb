"""Who may change what in releases (docs/accounts.md, "Ownership"; docs/releases.md, "Who may do what").

A service's flags, their changes, its segments and its client keys belong to the service's owning team.
- Flags (create, update, archive), flag changes and rollouts, segments: `releases:write` and membership of
  the owning team, or the product role (product releases features on every service); admin always.
- Client keys: `releases:write` and membership of the owning team, or the platform (`platform:write`,
  which provisions them at onboarding); admin always.
- The kill switch: where the environment's changes apply at once, like any flag change; where they need
  approval (prod), only owners who hold one of the environment's approval roles, or admin: it is the
  emergency brake, so no second person, but only for the people who could be that second person.
- Approving or rejecting a change that needs approval: an entitled approver
  (`catalog.service.require_entitled_approver`: never the requester; a member of the owning team, or named
  in the environment's approver group, or admin) who also holds `releases:write` and one of the
  environment's approval roles.
The `may_*` functions answer the same questions without raising, for pages that offer only what the
person may do, and `release_actions` says why an action is refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import allowed, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Environment
from digital_factory.core.errors import PermissionDenied
from digital_factory.releases import models
from digital_factory.releases.schemas import Change, ChangeStatus
from digital_factory.store.uow import UnitOfWork

FLAG_ROLES = (Role.PRODUCT,)


def require_flag_owner(uow: UnitOfWork, service_key: str, what: str) -> None:
    """Flags, their changes and segments of `service_key`: owners, the product role, admin."""
    catalog.require_service_owner(uow, service_key, Permission.RELEASES_WRITE, what=what, roles=FLAG_ROLES)


def may_change_flags(uow: UnitOfWork, service_key: str) -> bool:
    return catalog.may_change_service(uow, service_key, Permission.RELEASES_WRITE, FLAG_ROLES)


def require_key_manager(uow: UnitOfWork, service_key: str, what: str) -> None:
    """Client keys of `service_key`: owners, the platform, admin."""
    if allowed(uow.actor, Permission.PLATFORM_WRITE):
        return
    catalog.require_service_owner(uow, service_key, Permission.RELEASES_WRITE, what=what, roles=(Role.PLATFORM,))


def may_manage_keys(uow: UnitOfWork, service_key: str) -> bool:
    return allowed(uow.actor, Permission.PLATFORM_WRITE) or catalog.may_change_service(
        uow, service_key, Permission.RELEASES_WRITE
    )


def require_kill(uow: UnitOfWork, env: Environment, flag_key: str) -> None:
    """The kill switch of `flag_key` in `env` (see the module's docstring)."""
    what = f"the flag {flag_key} of {env.service} with the kill switch in {env.name}"
    if not env.needs_approval:
        require_flag_owner(uow, env.service, what)
        return
    catalog.require_service_owner(uow, env.service, Permission.RELEASES_WRITE, what=what)
    _require_approval_role(uow, env, "switch a flag off without approval; request the change instead")


def may_kill(uow: UnitOfWork, env: Environment) -> bool:
    if not env.needs_approval:
        return may_change_flags(uow, env.service)
    return _has_approval_role(uow, env) and catalog.may_change_service(uow, env.service, Permission.RELEASES_WRITE)


def require_decider(uow: UnitOfWork, row: models.Change, env: Environment, verb: str) -> None:
    """The second person for a change: approving or rejecting it (see the module's docstring)."""
    if is_requester(uow, row):
        raise PermissionDenied(f"you requested {row.key}: another person must {verb} it")
    require(uow.actor, Permission.RELEASES_WRITE)
    what = f"change {row.key} ({row.service_key}/{row.environment})"
    catalog.require_entitled_approver(uow, row.service_key, row.environment, row.requested_by_id, what=what)
    if env.needs_approval:
        _require_approval_role(uow, env, f"{verb} changes in {row.service_key}/{row.environment}")


def may_decide(
    uow: UnitOfWork, service_key: str, environment: str, requester_id: int | None, roles: Sequence[str]
) -> bool:
    if not allowed(uow.actor, Permission.RELEASES_WRITE) or (roles and uow.actor.role not in roles):
        return False
    return catalog.may_approve(uow, service_key, environment, requester_id)


def require_canceller(uow: UnitOfWork, row: models.Change, env: Environment) -> None:
    """The requester withdraws their change; otherwise whoever could approve it (where changes need
    approval) or change the service's flags (where they apply at their time) may cancel it."""
    require(uow.actor, Permission.RELEASES_WRITE)
    if is_requester(uow, row):
        return
    if env.needs_approval:
        require_decider(uow, row, env, "cancel")
    else:
        require_flag_owner(uow, row.service_key, f"change {row.key} of {row.service_key}/{row.environment}")


def is_requester(uow: UnitOfWork, row: models.Change) -> bool:
    return row.requested_by_id == uow.actor.user_id and row.requested_by == uow.actor.name


def _has_approval_role(uow: UnitOfWork, env: Environment) -> bool:
    return uow.actor.role in {str(r) for r in env.approval_roles}


def _require_approval_role(uow: UnitOfWork, env: Environment, doing: str) -> None:
    if not _has_approval_role(uow, env):
        roles = " or ".join(str(r) for r in env.approval_roles)
        raise PermissionDenied(f"in {env.service}/{env.name} only {roles} may {doing}; you are {uow.actor.role}")


# --- for pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    """One action on a page: hidden unless `shown` (the person holds the permission at all); when shown
    but refused, `reason` says why (the page shows it disabled with that reason)."""

    shown: bool
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.shown and not self.reason


@dataclass(frozen=True)
class ReleaseActions:
    """What the acting person may do with a service's flags, client keys and kill switches."""

    flags: Permit
    client_keys: Permit
    kill: dict[str, Permit] = field(default_factory=dict)


def release_actions(uow: UnitOfWork, service_key: str) -> ReleaseActions:
    service = catalog.get_service(uow, service_key)
    owners = f"members of the team {service.owner_team}" if service.owner_team else "nobody (no team owns it)"
    writer = allowed(uow.actor, Permission.RELEASES_WRITE)
    flags = _permit(writer, may_change_flags(uow, service_key), f"only {owners} or the product role change them")
    keys = _permit(
        writer or allowed(uow.actor, Permission.PLATFORM_WRITE),
        may_manage_keys(uow, service_key),
        f"only {owners} or the platform manage them",
    )
    kill = {
        env.name: _permit(
            writer,
            may_kill(uow, env),
            f"in {env.name} only {owners} with the role {' or '.join(env.approval_roles)} may pull it",
        )
        if env.needs_approval
        else flags
        for env in service.environments
    }
    return ReleaseActions(flags=flags, client_keys=keys, kill=kill)


def _permit(shown: bool, may: bool, reason: str) -> Permit:
    return Permit(shown=shown, reason="" if may else reason)


def decisions(uow: UnitOfWork, changes: Sequence[Change]) -> dict[str, str]:
    """For each pending change the person might decide (they hold `releases:write`): "" when they may
    approve or reject it, else why not."""
    pending = [c for c in changes if c.status is ChangeStatus.PENDING]
    if not pending or not allowed(uow.actor, Permission.RELEASES_WRITE):
        return {}
    rows = uow.session.execute(
        select(models.Change.key, models.Change.requested_by_id).where(models.Change.key.in_([c.key for c in pending]))
    )
    requesters = {key: requester for key, requester in rows}
    found = {}
    for change in pending:
        may = may_decide(uow, change.service, change.environment, requesters.get(change.key), change.approval_roles)
        found[change.key] = "" if may else _decision_refusal(uow, change)
    return found


def _decision_refusal(uow: UnitOfWork, change: Change) -> str:
    if change.requested_by == uow.actor.name:
        return f"you requested {change.key}: another person must approve it"
    env = catalog.get_environment(uow, change.service, change.environment)
    group = f" or the approver group ({', '.join(env.approvers)})" if env.approvers else ""
    roles = " or ".join(change.approval_roles) or "anyone"
    return f"approved by the owning team{group} with the role {roles}, not by {change.requested_by}"
