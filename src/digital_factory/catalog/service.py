"""Catalog use-cases. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from digital_factory.accounts import audit
from digital_factory.accounts.policy import require
from digital_factory.accounts.roles import Permission
from digital_factory.catalog import models
from digital_factory.catalog.events import ServiceRegistered
from digital_factory.catalog.schemas import (
    DEFAULT_ENVIRONMENTS,
    Environment,
    EnvironmentSpec,
    Service,
    ServiceCreate,
)
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams


def register_service(uow: UnitOfWork, data: ServiceCreate) -> Service:
    require(uow.actor, Permission.PLATFORM_WRITE)
    if uow.session.scalar(select(models.Service.id).where(models.Service.key == data.key)):
        raise Conflict(f"a service with the key {data.key!r} already exists", rule="unique-service-key")
    owner_id = teams.team_id(uow, data.owner_team) if data.owner_team else None
    row = models.Service(
        key=data.key,
        name=data.name,
        description=data.description,
        owner_team_id=owner_id,
        repository_url=data.repository_url,
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    _create_environments(uow, row, data.environments or list(DEFAULT_ENVIRONMENTS))
    audit.record(uow, "service.register", "service", row.key, after=data.model_dump(mode="json"))
    uow.emit(ServiceRegistered(service_id=row.id, service_key=row.key, owner_team=data.owner_team))
    return _out(uow, row)


def _create_environments(uow: UnitOfWork, service: models.Service, specs: list[EnvironmentSpec]) -> None:
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
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    row = uow.session.scalar(
        select(models.Environment).where(
            models.Environment.service_id == service.id, models.Environment.name == spec.name
        )
    )
    if row is None:
        raise NotFound(f"service {service_key!r} has no environment {spec.name!r}")
    before = {"approval_roles": list(row.approval_roles)}
    row.approval_roles = [str(r) for r in spec.approval_roles]
    uow.session.flush()
    audit.record(
        uow,
        "environment.policy",
        "environment",
        f"{service.key}/{row.name}",
        before=before,
        after={"approval_roles": row.approval_roles},
    )
    return _environment_out(service.key, row)


def _environment_out(service_key: str, row: models.Environment) -> Environment:
    return Environment(
        id=row.id, service=service_key, name=row.name, position=row.position, approval_roles=row.approval_roles
    )


def get_service(uow: UnitOfWork, key: str) -> Service:
    return _out(uow, service_row(uow, key))


def list_services(uow: UnitOfWork, page: PageRequest, *, owner_team: str | None = None) -> Page[Service]:
    require(uow.actor, Permission.READ)
    query = select(models.Service)
    if owner_team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, owner_team))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(query.order_by(models.Service.key).limit(page.limit).offset(page.offset))
    return Page(items=[_out(uow, r) for r in rows], total=total, limit=page.limit, offset=page.offset)


def service_row(uow: UnitOfWork, key: str) -> models.Service:
    row = uow.session.scalar(select(models.Service).where(models.Service.key == key))
    if row is None:
        raise NotFound(f"no service with the key {key!r}")
    return row


def service_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a service key, for other domains' foreign keys."""
    return service_row(uow, key).id


def _out(uow: UnitOfWork, row: models.Service) -> Service:
    owner = teams.team_key_of(uow, row.owner_team_id) if row.owner_team_id else None
    return Service(
        id=row.id,
        key=row.key,
        name=row.name,
        description=row.description,
        owner_team=owner,
        repository_url=row.repository_url,
        created_at=row.created_at,
        environments=list_environments(uow, row.key),
    )
