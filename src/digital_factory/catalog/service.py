"""Catalog use-cases: services, environments, value streams, dependencies. Callers own the transaction.

Who may change what: `platform:write` may change anything in the catalog. The maintainers of the team
that owns a service (see `teams.service`) may change that service and declare its dependencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import (
    SecretDigester,
    allowed,
    generate_secret,
    parse_secret,
    record_audit,
    require,
)
from digital_factory.catalog import graph, models
from digital_factory.catalog.events import ServiceRegistered
from digital_factory.catalog.schemas import (
    DEFAULT_ENVIRONMENTS,
    WORK_PREFIXES,
    CatalogEntry,
    CatalogGroup,
    CatalogOverview,
    CatalogWarning,
    CreatedIngestionKey,
    Dependency,
    DependencyAdded,
    DependencyCreate,
    DependencyCycle,
    Environment,
    EnvironmentSpec,
    IngestionKey,
    IngestionKeyCreate,
    Service,
    ServiceCreate,
    ServiceDependencies,
    ServiceProvenance,
    ServiceRef,
    ServiceUpdate,
    ValueStream,
    ValueStreamCreate,
    ValueStreamUpdate,
    WorkLink,
    WorkLinkCreate,
)
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams import team_api
from digital_factory.teams.schemas import TeamApiDependency, TeamApiService, TeamRef, TeamType

# --- services --------------------------------------------------------------------------------------------


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
        value_stream_id=_value_stream_row(uow, data.value_stream).id if data.value_stream else None,
    )
    uow.session.add(row)
    uow.session.flush()
    _create_environments(uow, row, data.environments or list(DEFAULT_ENVIRONMENTS))
    record_audit(uow, "service.register", "service", row.key, after=data.model_dump(mode="json"))
    uow.emit(ServiceRegistered(service_id=row.id, service_key=row.key, owner_team=data.owner_team))
    return _out(uow, row)


def update_service(uow: UnitOfWork, key: str, data: ServiceUpdate) -> Service:
    """Changes what was sent; `null` clears the owner, repository or value stream."""
    row = service_row(uow, key)
    _require_service_maintainer(uow, row)
    sent = data.model_fields_set
    before = _service_view(uow, row)
    if "name" in sent and data.name is not None:
        row.name = data.name
    if "description" in sent and data.description is not None:
        row.description = data.description
    if "repository_url" in sent:
        row.repository_url = data.repository_url
    if "owner_team" in sent:
        new_owner = teams.team_row(uow, data.owner_team) if data.owner_team else None
        if not allowed(uow.actor, Permission.PLATFORM_WRITE) and (
            new_owner is None or not teams.may_maintain(uow, new_owner.key)
        ):
            raise PermissionDenied(
                f"{uow.actor.name} may hand {row.key} only to a team they maintain (or needs platform:write)"
            )
        row.owner_team_id = new_owner.id if new_owner else None
    if "value_stream" in sent:
        row.value_stream_id = _value_stream_row(uow, data.value_stream).id if data.value_stream else None
    uow.session.flush()
    record_audit(uow, "service.update", "service", row.key, before=before, after=_service_view(uow, row))
    return _out(uow, row)


def get_service(uow: UnitOfWork, key: str) -> Service:
    return _out(uow, service_row(uow, key))


def list_services(
    uow: UnitOfWork, page: PageRequest, *, owner_team: str | None = None, value_stream: str | None = None
) -> Page[Service]:
    require(uow.actor, Permission.READ)
    query = select(models.Service)
    if owner_team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, owner_team))
    if value_stream:
        query = query.where(models.Service.value_stream_id == _value_stream_row(uow, value_stream).id)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(uow.session.scalars(query.order_by(models.Service.key).limit(page.limit).offset(page.offset)))
    return Page(items=_outs(uow, rows), total=total, limit=page.limit, offset=page.offset)


def service_refs(uow: UnitOfWork) -> list[ServiceRef]:
    """Every service, briefly, by key (for pickers)."""
    require(uow.actor, Permission.READ)
    return sorted(_refs(uow, uow.session.scalars(select(models.Service.id))).values(), key=lambda r: r.key)


def service_row(uow: UnitOfWork, key: str) -> models.Service:
    row = uow.session.scalar(select(models.Service).where(models.Service.key == key))
    if row is None:
        raise NotFound(f"no service with the key {key!r}")
    return row


def service_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a service key, for other domains' foreign keys."""
    return service_row(uow, key).id


def _require_service_maintainer(uow: UnitOfWork, row: models.Service) -> None:
    if allowed(uow.actor, Permission.PLATFORM_WRITE):
        return
    owner = teams.team_key_of(uow, row.owner_team_id) if row.owner_team_id else None
    if owner is None or not teams.may_maintain(uow, owner):
        raise PermissionDenied(
            f"{uow.actor.name} may not change the service {row.key}: that needs {Permission.PLATFORM_WRITE} "
            "or membership of its owning team"
        )


def _service_view(uow: UnitOfWork, row: models.Service) -> dict[str, Any]:
    return _out(uow, row).model_dump(
        mode="json", include={"name", "description", "owner_team", "repository_url", "value_stream"}
    )


def _out(uow: UnitOfWork, row: models.Service) -> Service:
    return _outs(uow, [row])[0]


def _outs(uow: UnitOfWork, rows: Sequence[models.Service]) -> list[Service]:
    """Services with owners, value streams, environments, templates and work in six queries, however many."""
    owners = teams.team_refs(uow, {r.owner_team_id for r in rows if r.owner_team_id})
    streams = _value_stream_keys(uow, {r.value_stream_id for r in rows if r.value_stream_id})
    environments = _environments_by_service(uow, {r.id: r.key for r in rows})
    ids = [r.id for r in rows]
    provenance = {
        p.service_id: p
        for p in uow.session.scalars(select(models.ServiceTemplate).where(models.ServiceTemplate.service_id.in_(ids)))
    }
    serves: dict[int, list[WorkLink]] = defaultdict(list)
    for work in uow.session.scalars(
        select(models.ServiceWork).where(models.ServiceWork.service_id.in_(ids)).order_by(models.ServiceWork.id)
    ):
        serves[work.service_id].append(WorkLink(kind=work.kind, key=work.work_key))
    return [
        Service(
            id=row.id,
            key=row.key,
            name=row.name,
            description=row.description,
            owner_team=owners[row.owner_team_id].key if row.owner_team_id else None,
            repository_url=row.repository_url,
            created_at=row.created_at,
            environments=environments.get(row.id, []),
            value_stream=streams.get(row.value_stream_id) if row.value_stream_id else None,
            template=provenance[row.id].template if row.id in provenance else None,
            template_version=provenance[row.id].version if row.id in provenance else None,
            serves=serves.get(row.id, []),
        )
        for row in rows
    ]


# --- environments ----------------------------------------------------------------------------------------


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
    record_audit(
        uow,
        "environment.policy",
        "environment",
        f"{service.key}/{row.name}",
        before=before,
        after={"approval_roles": row.approval_roles},
    )
    return _environment_out(service.key, row)


def _environments_by_service(uow: UnitOfWork, keys: dict[int, str]) -> dict[int, list[Environment]]:
    """Every listed service's environments in promotion order: one column query (no ORM objects), and
    the rows are trusted (the store wrote them), so the DTOs are built without re-validation."""
    found: dict[int, list[Environment]] = defaultdict(list)
    if not keys:
        return found
    env = models.Environment
    rows = uow.session.execute(
        select(env.id, env.service_id, env.name, env.position, env.approval_roles)
        .where(env.service_id.in_(keys))
        .order_by(env.service_id, env.position)
    )
    for id_, service_id_, name, position, roles in rows:
        found[service_id_].append(
            Environment.model_construct(
                id=id_, service=keys[service_id_], name=name, position=position, approval_roles=[Role(r) for r in roles]
            )
        )
    return found


def _environment_out(service_key: str, row: models.Environment) -> Environment:
    return Environment(
        id=row.id, service=service_key, name=row.name, position=row.position, approval_roles=row.approval_roles
    )


# --- value streams ------------------------------------------------------------------------------------------


def create_value_stream(uow: UnitOfWork, data: ValueStreamCreate) -> ValueStream:
    require(uow.actor, Permission.PLATFORM_WRITE)
    clash = uow.session.scalar(
        select(models.ValueStream).where(or_(models.ValueStream.key == data.key, models.ValueStream.name == data.name))
    )
    if clash is not None:
        raise Conflict(f"a value stream {clash.name!r} ({clash.key}) already exists", rule="unique-value-stream")
    row = models.ValueStream(key=data.key, name=data.name, description=data.description, created_at=uow.clock.now())
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, "value-stream.create", "value-stream", row.key, after=data.model_dump(mode="json"))
    return _value_streams_out(uow, [row])[0]


def update_value_stream(uow: UnitOfWork, key: str, data: ValueStreamUpdate) -> ValueStream:
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = _value_stream_row(uow, key)
    before = {"name": row.name, "description": row.description}
    if data.name is not None and data.name != row.name:
        if uow.session.scalar(select(models.ValueStream.id).where(models.ValueStream.name == data.name)):
            raise Conflict(f"a value stream named {data.name!r} already exists", rule="unique-value-stream")
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    uow.session.flush()
    record_audit(
        uow,
        "value-stream.update",
        "value-stream",
        row.key,
        before=before,
        after={"name": row.name, "description": row.description},
    )
    return _value_streams_out(uow, [row])[0]


def delete_value_stream(uow: UnitOfWork, key: str) -> None:
    """Removes the stream; its services stay in the catalog, in no value stream."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = _value_stream_row(uow, key)
    for service in uow.session.scalars(select(models.Service).where(models.Service.value_stream_id == row.id)):
        service.value_stream_id = None
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "value-stream.delete", "value-stream", key, before={"name": row.name})


def get_value_stream(uow: UnitOfWork, key: str) -> ValueStream:
    require(uow.actor, Permission.READ)
    return _value_streams_out(uow, [_value_stream_row(uow, key)])[0]


def list_value_streams(uow: UnitOfWork) -> list[ValueStream]:
    require(uow.actor, Permission.READ)
    rows = list(uow.session.scalars(select(models.ValueStream).order_by(models.ValueStream.name)))
    return _value_streams_out(uow, rows)


def _value_stream_row(uow: UnitOfWork, key: str) -> models.ValueStream:
    row = uow.session.scalar(select(models.ValueStream).where(models.ValueStream.key == key))
    if row is None:
        raise NotFound(f"no value stream with the key {key!r}")
    return row


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
    record_audit(
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
    uow: UnitOfWork, digester: SecretDigester, service_key: str, data: IngestionKeyCreate
) -> CreatedIngestionKey:
    """A new ingestion key for a service; the secret is returned once and only its digest is stored."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    service = service_row(uow, service_key)
    secret = generate_secret(INGESTION_KEY_PREFIX)
    row = models.IngestionKey(
        public_id=secret.public_id,
        service_id=service.id,
        name=data.name,
        digest=digester.digest(secret.full),
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
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
        record_audit(uow, "ingestion-key.revoke", "service", service.key, after={"public_id": public_id})
    return _ingestion_key_out(service.key, row)


def resolve_ingestion_key(uow: UnitOfWork, digester: SecretDigester, presented: str) -> str:
    """The key of the service an ingestion key belongs to, or Unauthenticated (for telemetry ingestion).

    Malformed keys never reach the store; revoked ones are refused."""
    parsed = parse_secret(presented, INGESTION_KEY_PREFIX)
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
        record_audit(uow, "service.serves", "service", service.key, after={"key": key, "kind": WORK_PREFIXES[prefix]})
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


def _value_stream_keys(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(models.ValueStream.id, models.ValueStream.key).where(models.ValueStream.id.in_(wanted))
    )
    return dict(rows.all())


def _value_streams_out(uow: UnitOfWork, rows: Sequence[models.ValueStream]) -> list[ValueStream]:
    ids = [r.id for r in rows]
    members = uow.session.execute(
        select(models.Service.value_stream_id, models.Service.owner_team_id).where(
            models.Service.value_stream_id.in_(ids)
        )
    ).all()
    owners = teams.team_refs(uow, {owner for _, owner in members if owner})
    counts: dict[int, int] = defaultdict(int)
    team_keys: dict[int, set[str]] = defaultdict(set)
    for stream_id, owner in members:
        if stream_id is None:
            continue
        counts[stream_id] += 1
        if owner:
            team_keys[stream_id].add(owners[owner].key)
    return [
        ValueStream(
            id=r.id,
            key=r.key,
            name=r.name,
            description=r.description,
            created_at=r.created_at,
            services=counts[r.id],
            teams=sorted(team_keys[r.id]),
        )
        for r in rows
    ]


# --- dependencies ---------------------------------------------------------------------------------------------


def add_dependency(uow: UnitOfWork, service_key: str, data: DependencyCreate) -> DependencyAdded:
    """`service_key` depends on `data.on`. A loop is allowed (the catalog records what is) and reported."""
    row = service_row(uow, service_key)
    _require_service_maintainer(uow, row)
    target = service_row(uow, data.on)
    if target.id == row.id:
        raise ValidationFailed.on("on", "a service cannot depend on itself")
    exists = uow.session.scalar(
        select(models.Dependency.id).where(
            models.Dependency.service_id == row.id, models.Dependency.depends_on_id == target.id
        )
    )
    if exists:
        raise Conflict(f"{row.key} already depends on {target.key}", rule="unique-dependency")
    uow.session.add(
        models.Dependency(
            service_id=row.id, depends_on_id=target.id, description=data.description, created_at=uow.clock.now()
        )
    )
    uow.session.flush()
    record_audit(
        uow,
        "service.depend",
        "service",
        row.key,
        after={"depends_on": target.key, "description": data.description},
    )
    edges = _edges(uow)
    loop = graph.loop_through(graph.adjacency(edges), row.id, target.id)
    cycles = []
    if loop is not None:
        names = _service_keys(uow, loop)
        cycles = [DependencyCycle(services=sorted({names[i] for i in loop}), path=[names[i] for i in loop])]
    return DependencyAdded(service=row.key, depends_on=target.key, description=data.description, cycles=cycles)


def remove_dependency(uow: UnitOfWork, service_key: str, on: str) -> None:
    row = service_row(uow, service_key)
    _require_service_maintainer(uow, row)
    target = service_row(uow, on)
    dependency = uow.session.scalar(
        select(models.Dependency).where(
            models.Dependency.service_id == row.id, models.Dependency.depends_on_id == target.id
        )
    )
    if dependency is None:
        raise NotFound(f"{row.key} does not depend on {target.key}")
    uow.session.delete(dependency)
    uow.session.flush()
    record_audit(uow, "service.undepend", "service", row.key, before={"depends_on": target.key})


def service_dependencies(uow: UnitOfWork, key: str) -> ServiceDependencies:
    """Both directions: what the service needs and what needs it, directly and transitively."""
    require(uow.actor, Permission.READ)
    row = service_row(uow, key)
    direct = uow.session.scalars(
        select(models.Dependency).where(
            or_(models.Dependency.service_id == row.id, models.Dependency.depends_on_id == row.id)
        )
    ).all()
    edges = _edges(uow)
    forward = graph.adjacency(edges)
    backward = graph.reverse(forward)
    far = graph.reachable(forward, row.id)
    near = graph.reachable(backward, row.id)
    refs = _refs(uow, {d.service_id for d in direct} | {d.depends_on_id for d in direct} | far | near)
    depends_on = [d for d in direct if d.service_id == row.id]
    dependents = [d for d in direct if d.depends_on_id == row.id]
    return ServiceDependencies(
        service=row.key,
        depends_on=sorted(
            (
                Dependency(service=refs[d.depends_on_id], description=d.description, created_at=d.created_at)
                for d in depends_on
            ),
            key=lambda d: d.service.key,
        ),
        dependents=sorted(
            (
                Dependency(service=refs[d.service_id], description=d.description, created_at=d.created_at)
                for d in dependents
            ),
            key=lambda d: d.service.key,
        ),
        transitive_dependencies=sorted(refs[i].key for i in far if i != row.id),
        transitive_dependents=sorted(refs[i].key for i in near if i != row.id),
        cycles=[c for c in _cycles(uow, forward) if row.key in c.services],
    )


def dependency_cycles(uow: UnitOfWork) -> list[DependencyCycle]:
    """Every group of services that depend on each other in a loop, with one loop each."""
    require(uow.actor, Permission.READ)
    return _cycles(uow, graph.adjacency(_edges(uow)))


def _cycles(uow: UnitOfWork, forward: dict[int, list[int]]) -> list[DependencyCycle]:
    components = graph.strongly_connected(forward)
    names = _service_keys(uow, {n for c in components for n in c})
    cycles = []
    for component in components:
        members = sorted(component, key=lambda i: names[i])
        loop = graph.example_loop(forward, members)
        cycles.append(DependencyCycle(services=[names[i] for i in members], path=[names[i] for i in loop]))
    return sorted(cycles, key=lambda c: c.services)


def _edges(uow: UnitOfWork) -> list[tuple[int, int]]:
    rows = uow.session.execute(select(models.Dependency.service_id, models.Dependency.depends_on_id))
    return [(a, b) for a, b in rows]


def _service_keys(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(select(models.Service.id, models.Service.key).where(models.Service.id.in_(wanted)))
    return dict(rows.all())


def _refs(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, ServiceRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(models.Service).where(models.Service.id.in_(wanted))))
    owners = teams.team_refs(uow, {r.owner_team_id for r in rows if r.owner_team_id})
    streams = _value_stream_keys(uow, {r.value_stream_id for r in rows if r.value_stream_id})
    return {
        r.id: ServiceRef(
            key=r.key,
            name=r.name,
            owner_team=owners[r.owner_team_id].key if r.owner_team_id else None,
            value_stream=streams.get(r.value_stream_id) if r.value_stream_id else None,
        )
        for r in rows
    }


# --- the whole catalog on one page ----------------------------------------------------------------------------


def catalog_overview(
    uow: UnitOfWork, *, value_stream: str | None = None, owner_team: str | None = None
) -> CatalogOverview:
    """Services grouped by value stream (streams by name, then services in none), with their owners,
    environments and dependencies both ways, the loops and the ownership warnings. A fixed number of
    queries, whatever the size of the catalog."""
    require(uow.actor, Permission.READ)
    query = select(models.Service).order_by(models.Service.name, models.Service.key)
    if value_stream:
        query = query.where(models.Service.value_stream_id == _value_stream_row(uow, value_stream).id)
    if owner_team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, owner_team))
    rows = list(uow.session.scalars(query))
    services = _outs(uow, rows)
    edges = _edges(uow)
    keys = _service_keys(uow, {n for edge in edges for n in edge})
    depends_on: dict[int, list[str]] = defaultdict(list)
    dependents: dict[int, list[str]] = defaultdict(list)
    for source, target in edges:
        depends_on[source].append(keys[target])
        dependents[target].append(keys[source])
    streams = {s.key: s for s in list_value_streams(uow)}
    grouped: dict[str | None, list[CatalogEntry]] = defaultdict(list)
    for row, service in zip(rows, services, strict=True):
        grouped[service.value_stream].append(
            CatalogEntry(service=service, depends_on=sorted(depends_on[row.id]), dependents=sorted(dependents[row.id]))
        )
    groups = [CatalogGroup(value_stream=s, entries=grouped.get(s.key, [])) for s in streams.values()]
    if value_stream:
        groups = [g for g in groups if g.value_stream and g.value_stream.key == value_stream]
    elif owner_team:
        groups = [g for g in groups if g.entries]
    if grouped.get(None):
        groups.append(CatalogGroup(value_stream=None, entries=grouped[None]))
    return CatalogOverview(
        groups=groups,
        services=len(services),
        dependencies=len(edges),
        cycles=_cycles(uow, graph.adjacency(edges)),
        warnings=ownership_warnings(uow),
    )


def ownership_warnings(uow: UnitOfWork, team: str | None = None) -> list[CatalogWarning]:
    """Team Topologies on ownership: enabling teams own no services."""
    require(uow.actor, Permission.READ)
    query = select(models.Service.key, models.Service.owner_team_id).where(models.Service.owner_team_id.is_not(None))
    if team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, team))
    owned: dict[int, list[str]] = defaultdict(list)
    for key, owner in uow.session.execute(query):
        if owner is not None:
            owned[owner].append(key)
    refs: dict[int, TeamRef] = teams.team_refs(uow, owned)
    return [
        CatalogWarning(
            team=refs[owner].key,
            rule="enabling-team-owns-services",
            message=f"the enabling team {refs[owner].key} owns {', '.join(sorted(keys))}; enabling teams help "
            "other teams acquire capabilities and do not own services: hand them to the team that runs them",
            source="TeamAPI spec, Definitions; Skelton & Pais, Team Topologies (2019), ch. 5",
        )
        for owner, keys in sorted(owned.items(), key=lambda item: refs[item[0]].key)
        if refs[owner].team_type is TeamType.ENABLING
    ]


# --- the Team API, with the catalog's part of it ----------------------------------------------------------------


def team_api_document(uow: UnitOfWork, team_key: str) -> dict[str, Any]:
    """The team's Team API document, with the services it owns and the teams its services depend on."""
    owner = teams.team_ref(uow, team_key)
    rows = list(
        uow.session.scalars(
            select(models.Service).where(models.Service.owner_team_id == owner.id).order_by(models.Service.key)
        )
    )
    services = [TeamApiService(key=r.key, name=r.name, repository=r.repository_url) for r in rows]
    return team_api.export_team_api(
        uow, team_key, services=services, dependencies=_team_dependencies(uow, owner, [r.id for r in rows])
    )


def _team_dependencies(uow: UnitOfWork, owner: TeamRef, service_ids: list[int]) -> list[TeamApiDependency]:
    if not service_ids:
        return []
    rows = uow.session.execute(
        select(models.Dependency.service_id, models.Dependency.depends_on_id).where(
            models.Dependency.service_id.in_(service_ids)
        )
    )
    pairs = [(a, b) for a, b in rows]
    refs = _refs(uow, {a for a, _ in pairs} | {b for _, b in pairs})
    needs: dict[str, list[str]] = defaultdict(list)
    for source, target in pairs:
        other = refs[target].owner_team
        if other and other != owner.key:
            needs[other].append(f"{refs[source].key} depends on {refs[target].key}")
    names = {t.key: t.name for t in teams.team_refs(uow).values()}
    return [
        TeamApiDependency(team=other, team_name=names[other], description="; ".join(sorted(reasons)))
        for other, reasons in sorted(needs.items())
    ]


__all__ = [
    "INGESTION_KEY_PREFIX",
    "add_dependency",
    "catalog_overview",
    "create_ingestion_key",
    "create_value_stream",
    "delete_value_stream",
    "dependency_cycles",
    "get_environment",
    "get_service",
    "get_value_stream",
    "link_work",
    "list_environments",
    "list_ingestion_keys",
    "list_services",
    "list_value_streams",
    "ownership_warnings",
    "register_service",
    "remove_dependency",
    "resolve_ingestion_key",
    "revoke_ingestion_key",
    "service_dependencies",
    "service_id",
    "service_refs",
    "service_row",
    "service_templates",
    "services_serving",
    "set_environment_policy",
    "set_service_template",
    "team_api_document",
    "update_service",
    "update_value_stream",
]
