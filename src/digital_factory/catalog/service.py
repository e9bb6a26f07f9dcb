"""Catalog use-cases. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from digital_factory.accounts import audit, bearer
from digital_factory.accounts.policy import allowed, require
from digital_factory.accounts.roles import Permission
from digital_factory.catalog import models
from digital_factory.catalog.events import ServiceRegistered
from digital_factory.catalog.schemas import (
    DEFAULT_ENVIRONMENTS,
    WORK_PREFIXES,
    CreatedIngestionKey,
    Environment,
    EnvironmentSpec,
    IngestionKey,
    IngestionKeyCreate,
    Service,
    ServiceCreate,
    ServiceProvenance,
    WorkLink,
    WorkLinkCreate,
)
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from digital_factory.core.keys import parse_key
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
    provenance = uow.session.get(models.ServiceTemplate, row.id)
    return Service(
        id=row.id,
        key=row.key,
        name=row.name,
        description=row.description,
        owner_team=owner,
        repository_url=row.repository_url,
        created_at=row.created_at,
        environments=list_environments(uow, row.key),
        template=provenance.template if provenance else None,
        template_version=provenance.version if provenance else None,
        serves=_work_of(uow, row.id),
    )


# --- provenance: the golden-path template a service is on -------------------------------------------


def set_service_template(uow: UnitOfWork, service_key: str, template: str, version: str) -> ServiceProvenance:
    """Record the template and version a service is on (onboarding, and merged template upgrades)."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    row = uow.session.get(models.ServiceTemplate, service.id)
    before = {"template": row.template, "version": row.version} if row else None
    if row is None:
        row = models.ServiceTemplate(
            service_id=service.id, template=template, version=version, updated_at=uow.clock.now()
        )
        uow.session.add(row)
    elif (row.template, row.version) == (template, version):
        return ServiceProvenance.model_validate(row)
    else:
        row.template, row.version, row.updated_at = template, version, uow.clock.now()
    uow.session.flush()
    audit.record(
        uow, "service.template", "service", service.key, before=before, after={"template": template, "version": version}
    )
    return ServiceProvenance.model_validate(row)


def service_templates(uow: UnitOfWork) -> dict[str, ServiceProvenance]:
    """Every service's template and version, by service key (the template fleet)."""
    rows = uow.session.execute(
        select(models.Service.key, models.ServiceTemplate).join(
            models.ServiceTemplate, models.ServiceTemplate.service_id == models.Service.id
        )
    )
    return {key: ServiceProvenance.model_validate(row) for key, row in rows}


# --- ingestion keys ------------------------------------------------------------------------------------

INGESTION_KEY_PREFIX = "dfik"


def create_ingestion_key(
    uow: UnitOfWork, digester: bearer.SecretDigester, service_key: str, data: IngestionKeyCreate
) -> CreatedIngestionKey:
    """A new ingestion key for a service; the secret is returned once and only its digest is stored."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    secret = bearer.generate(INGESTION_KEY_PREFIX)
    row = models.IngestionKey(
        public_id=secret.public_id,
        service_id=service.id,
        name=data.name,
        digest=digester.digest(secret.full),
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow, "ingestion-key.create", "service", service.key, after={"public_id": row.public_id, "name": row.name}
    )
    return CreatedIngestionKey(key=_ingestion_key_out(service.key, row), secret=secret.full)


def list_ingestion_keys(uow: UnitOfWork, service_key: str) -> list[IngestionKey]:
    require(uow.actor, Permission.READ)
    service = service_row(uow, service_key)
    rows = uow.session.scalars(
        select(models.IngestionKey).where(models.IngestionKey.service_id == service.id).order_by(models.IngestionKey.id)
    )
    return [_ingestion_key_out(service.key, r) for r in rows]


def revoke_ingestion_key(uow: UnitOfWork, service_key: str, public_id: str) -> IngestionKey:
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    row = uow.session.scalar(
        select(models.IngestionKey).where(
            models.IngestionKey.service_id == service.id, models.IngestionKey.public_id == public_id
        )
    )
    if row is None:
        raise NotFound(f"service {service_key!r} has no ingestion key {public_id!r}")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        audit.record(uow, "ingestion-key.revoke", "service", service.key, after={"public_id": public_id})
    return _ingestion_key_out(service.key, row)


def resolve_ingestion_key(uow: UnitOfWork, digester: bearer.SecretDigester, presented: str) -> str:
    """The key of the service an ingestion key belongs to, or Unauthenticated (for telemetry ingestion).

    Malformed keys never reach the store; revoked ones are refused."""
    parsed = bearer.parse(presented, INGESTION_KEY_PREFIX)
    if parsed is None:
        raise Unauthenticated("the ingestion key is malformed")
    found = uow.session.execute(
        select(models.IngestionKey, models.Service.key)
        .join(models.Service, models.Service.id == models.IngestionKey.service_id)
        .where(models.IngestionKey.public_id == parsed.public_id)
    ).one_or_none()
    if found is None or not digester.matches(parsed.full, found[0].digest):
        raise Unauthenticated("the ingestion key is not valid")
    if found[0].revoked_at is not None:
        raise Unauthenticated("the ingestion key is revoked")
    return str(found[1])


def _ingestion_key_out(service_key: str, row: models.IngestionKey) -> IngestionKey:
    return IngestionKey(
        public_id=row.public_id,
        service=service_key,
        name=row.name,
        created_at=as_utc(row.created_at),
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


# --- the features and epics a service serves -----------------------------------------------------------


def link_work(uow: UnitOfWork, service_key: str, data: WorkLinkCreate) -> list[WorkLink]:
    """Record that a service serves a feature (FEAT-n) or epic (EPIC-n). The key's format is checked
    here; whether it exists is portfolio's to say (see docs/platform.md, integration points)."""
    if not (allowed(uow.actor, Permission.PLATFORM_WRITE) or allowed(uow.actor, Permission.PRODUCT_WRITE)):
        require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    prefix, _ = parse_key(data.key)
    if prefix not in WORK_PREFIXES:
        raise ValidationFailed.on("key", f"{data.key!r} is neither a feature (FEAT-n) nor an epic (EPIC-n) key")
    key = data.key.strip().upper()
    exists = uow.session.scalar(
        select(models.ServiceWork.id).where(
            models.ServiceWork.service_id == service.id, models.ServiceWork.work_key == key
        )
    )
    if exists is None:
        uow.session.add(
            models.ServiceWork(
                service_id=service.id, kind=WORK_PREFIXES[prefix], work_key=key, linked_at=uow.clock.now()
            )
        )
        uow.session.flush()
        audit.record(uow, "service.serves", "service", service.key, after={"key": key, "kind": WORK_PREFIXES[prefix]})
    return _work_of(uow, service.id)


def services_serving(uow: UnitOfWork, work_key: str) -> list[str]:
    """Keys of the services that serve a feature or epic (traceability)."""
    rows = uow.session.scalars(
        select(models.Service.key)
        .join(models.ServiceWork, models.ServiceWork.service_id == models.Service.id)
        .where(models.ServiceWork.work_key == work_key.strip().upper())
        .order_by(models.Service.key)
    )
    return list(rows)


def _work_of(uow: UnitOfWork, service_id: int) -> list[WorkLink]:
    rows = uow.session.scalars(
        select(models.ServiceWork).where(models.ServiceWork.service_id == service_id).order_by(models.ServiceWork.id)
    )
    return [WorkLink(kind=r.kind, key=r.work_key) for r in rows]
