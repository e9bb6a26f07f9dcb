"""A service's environments in promotion order and their approval policy. Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit
from digital_factory.catalog import models
from digital_factory.catalog.access import service_row
from digital_factory.catalog.ownership import require_service_owner
from digital_factory.catalog.schemas import Environment, EnvironmentApprovals, EnvironmentSpec
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams


def create_environments(uow: UnitOfWork, service: models.Service, specs: list[EnvironmentSpec]) -> None:
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValidationFailed.on("environments", "environment names must be unique")
    for position, spec in enumerate(specs):
        uow.session.add(
            models.Environment(
                service_id=service.id,
                name=spec.name,
                position=position,
                approval_roles=[str(r) for r in spec.approval_roles],
                approvers=_checked_approvers(uow, spec.approvers),
                created_at=uow.clock.now(),
            )
        )
    uow.session.flush()


def list_environments(uow: UnitOfWork, service_key: str) -> list[Environment]:
    """The service's environments in promotion order."""
    service = service_row(uow, service_key)
    rows = uow.session.scalars(
        select(models.Environment)
        .where(models.Environment.service_id == service.id)
        .order_by(models.Environment.position)
    )
    return [_environment_out(service.key, r) for r in rows]


def get_environment(uow: UnitOfWork, service_key: str, name: str) -> Environment:
    for environment in list_environments(uow, service_key):
        if environment.name == name:
            return environment
    raise NotFound(f"service {service_key!r} has no environment {name!r}")


def set_environment_policy(uow: UnitOfWork, service_key: str, spec: EnvironmentSpec) -> Environment:
    """Who approves changes to an environment: set by the service's owners or the platform."""
    what = f"the approval policy of {service_key}/{spec.name}"
    require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])
    service = service_row(uow, service_key)
    row = uow.session.scalar(
        select(models.Environment).where(
            models.Environment.service_id == service.id, models.Environment.name == spec.name
        )
    )
    if row is None:
        raise NotFound(f"service {service_key!r} has no environment {spec.name!r}")
    before = {"approval_roles": list(row.approval_roles), "approvers": list(row.approvers or [])}
    row.approval_roles = [str(r) for r in spec.approval_roles]
    row.approvers = _checked_approvers(uow, spec.approvers)
    uow.session.flush()
    record_audit(
        uow,
        "environment.policy",
        "environment",
        f"{service.key}/{row.name}",
        before=before,
        after={"approval_roles": row.approval_roles, "approvers": row.approvers},
    )
    return _environment_out(service.key, row)


def set_environment_approvals(
    uow: UnitOfWork, service_key: str, environment: str, data: EnvironmentApprovals
) -> Environment:
    """`set_environment_policy` for an environment named apart from its policy (REST path, forms)."""
    spec = EnvironmentSpec.model_construct(
        name=environment, approval_roles=list(data.approval_roles), approvers=list(data.approvers)
    )
    return set_environment_policy(uow, service_key, spec)


def environments_by_service(uow: UnitOfWork, keys: dict[int, str]) -> dict[int, list[Environment]]:
    """Every listed service's environments in promotion order: one column query (no ORM objects), and
    the rows are trusted (the store wrote them), so the DTOs are built without re-validation."""
    found: dict[int, list[Environment]] = defaultdict(list)
    if not keys:
        return found
    env = models.Environment
    rows = uow.session.execute(
        select(env.id, env.service_id, env.name, env.position, env.approval_roles, env.approvers)
        .where(env.service_id.in_(keys))
        .order_by(env.service_id, env.position)
    )
    for id_, service_id_, name, position, roles, approvers in rows:
        found[service_id_].append(
            Environment.model_construct(
                id=id_,
                service=keys[service_id_],
                name=name,
                position=position,
                approval_roles=[Role(r) for r in roles],
                approvers=list(approvers or []),
            )
        )
    return found


def _environment_out(service_key: str, row: models.Environment) -> Environment:
    return Environment(
        id=row.id,
        service=service_key,
        name=row.name,
        position=row.position,
        approval_roles=row.approval_roles,
        approvers=list(row.approvers or []),
    )


def _checked_approvers(uow: UnitOfWork, entries: list[str]) -> list[str]:
    """Every named user and team must exist: a typo would silently entitle nobody."""
    unknown = []
    for entry in dict.fromkeys(entries):
        kind, _, name = entry.rpartition(":")
        try:
            teams.team_id(uow, name) if kind == "team" else accounts.get_user(uow, name)
        except NotFound:
            unknown.append(entry)
    if unknown:
        raise ValidationFailed.on("approvers", f"no such user or team: {', '.join(unknown)}")
    return list(dict.fromkeys(entries))
