"""Services: registering, changing and listing them, with their owners, environments and the work they
serve. Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import allowed, record_audit, require
from digital_factory.catalog import models
from digital_factory.catalog.access import require_service_maintainer, service_row, value_stream_row
from digital_factory.catalog.environments import create_environments, environments_by_service
from digital_factory.catalog.events import ServiceRegistered
from digital_factory.catalog.schemas import (
    DEFAULT_ENVIRONMENTS,
    Service,
    ServiceCreate,
    ServiceRef,
    ServiceUpdate,
    WorkLink,
)
from digital_factory.catalog.value_streams import value_stream_keys
from digital_factory.core.errors import Conflict, PermissionDenied
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.paging import paginate
from digital_factory.store.search import any_contains
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
        value_stream_id=value_stream_row(uow, data.value_stream).id if data.value_stream else None,
    )
    uow.session.add(row)
    uow.session.flush()
    create_environments(uow, row, data.environments or list(DEFAULT_ENVIRONMENTS))
    record_audit(uow, "service.register", "service", row.key, after=data.model_dump(mode="json"))
    uow.emit(ServiceRegistered(service_id=row.id, service_key=row.key, owner_team=data.owner_team))
    return service_out(uow, row)


def update_service(uow: UnitOfWork, key: str, data: ServiceUpdate) -> Service:
    """Changes what was sent; `null` clears the owner, repository or value stream."""
    row = service_row(uow, key)
    require_service_maintainer(uow, row)
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
        row.value_stream_id = value_stream_row(uow, data.value_stream).id if data.value_stream else None
    uow.session.flush()
    record_audit(uow, "service.update", "service", row.key, before=before, after=_service_view(uow, row))
    return service_out(uow, row)


def get_service(uow: UnitOfWork, key: str) -> Service:
    return service_out(uow, service_row(uow, key))


def list_services(
    uow: UnitOfWork, page: PageRequest, *, owner_team: str | None = None, value_stream: str | None = None
) -> Page[Service]:
    require(uow.actor, Permission.READ)
    query = select(models.Service)
    if owner_team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, owner_team))
    if value_stream:
        query = query.where(models.Service.value_stream_id == value_stream_row(uow, value_stream).id)
    return paginate(uow.session, query, page, partial(services_out, uow), order_by=[models.Service.key])


def service_refs(uow: UnitOfWork) -> list[ServiceRef]:
    """Every service, briefly, by key (for pickers)."""
    require(uow.actor, Permission.READ)
    return sorted(service_refs_by_id(uow, uow.session.scalars(select(models.Service.id))).values(), key=lambda r: r.key)


def service_matches(uow: UnitOfWork, text: str = "", *, limit: int = 20) -> list[ServiceRef]:
    """Services whose key or name holds `text`, by key: at most `limit` of them, for a picker that narrows
    as one types."""
    require(uow.actor, Permission.READ)
    service = models.Service
    query = select(service.id)
    words = text.strip()
    if words:
        query = query.where(any_contains(words, service.key, service.name))
    found = service_refs_by_id(uow, uow.session.scalars(query.order_by(service.key).limit(limit)))
    return sorted(found.values(), key=lambda ref: ref.key)


def _service_view(uow: UnitOfWork, row: models.Service) -> dict[str, Any]:
    return service_out(uow, row).model_dump(
        mode="json", include={"name", "description", "owner_team", "repository_url", "value_stream"}
    )


def service_out(uow: UnitOfWork, row: models.Service) -> Service:
    return services_out(uow, [row])[0]


def services_out(uow: UnitOfWork, rows: Sequence[models.Service]) -> list[Service]:
    """Services with owners, value streams, environments, templates and work in six queries, however many."""
    owners = teams.team_refs(uow, {r.owner_team_id for r in rows if r.owner_team_id})
    streams = value_stream_keys(uow, {r.value_stream_id for r in rows if r.value_stream_id})
    environments = environments_by_service(uow, {r.id: r.key for r in rows})
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


def changeable_services(
    uow: UnitOfWork, permission: Permission, roles: Iterable[Role] = (), *, q: str = "", limit: int = 20
) -> list[ServiceRef]:
    """The first `limit` services (by key) whose key or name holds `q` that the actor may change as
    `may_change_service` decides: every one for the roles named (admin always), else those its teams own.
    For pickers that offer only what the person may pick: four queries, however many services there are."""
    if not allowed(uow.actor, permission):
        return []
    service = models.Service
    query = select(service.id)
    if not teams.may_change(uow, None, roles):  # no role grants it: only what the actor's teams own
        user = uow.actor.user_id
        owned = [t.id for t in teams.member_teams(uow, uow.actor.name)] if user is not None else []
        query = query.where(service.owner_team_id.in_(owned))
    words = q.strip()
    if words:
        query = query.where(any_contains(words, service.key, service.name))
    ids = uow.session.scalars(query.order_by(service.key).limit(limit))
    return sorted(service_refs_by_id(uow, ids).values(), key=lambda r: r.key)


def service_refs_by_key(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, ServiceRef]:
    """The named services, briefly, by key (unknown keys are absent): three queries, however many."""
    require(uow.actor, Permission.READ)
    wanted = set(keys)
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(models.Service).where(models.Service.key.in_(wanted))))
    return {ref.key: ref for ref in _refs(uow, rows).values()}


def service_refs_by_id(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, ServiceRef]:
    wanted = set(ids)
    if not wanted:
        return {}
    return _refs(uow, list(uow.session.scalars(select(models.Service).where(models.Service.id.in_(wanted)))))


def _refs(uow: UnitOfWork, rows: Sequence[models.Service]) -> dict[int, ServiceRef]:
    """References of service rows with their owners' and value streams' keys (two more queries)."""
    owners = teams.team_refs(uow, {r.owner_team_id for r in rows if r.owner_team_id})
    streams = value_stream_keys(uow, {r.value_stream_id for r in rows if r.value_stream_id})
    return {
        r.id: ServiceRef(
            key=r.key,
            name=r.name,
            owner_team=owners[r.owner_team_id].key if r.owner_team_id else None,
            value_stream=streams.get(r.value_stream_id) if r.value_stream_id else None,
        )
        for r in rows
    }
