"""Dependencies between services, both ways and transitively, and the loops among them. Callers own the
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import graph, models
from digital_factory.catalog.access import require_service_maintainer, service_row
from digital_factory.catalog.schemas import (
    Dependency,
    DependencyAdded,
    DependencyCreate,
    DependencyCycle,
    ServiceDependencies,
    ServiceRef,
)
from digital_factory.catalog.services import service_refs_by_id
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.store.search import any_contains
from digital_factory.store.uow import UnitOfWork


def add_dependency(uow: UnitOfWork, service_key: str, data: DependencyCreate) -> DependencyAdded:
    """`service_key` depends on `data.on`. A loop is allowed (the catalog records what is) and reported."""
    row = service_row(uow, service_key)
    require_service_maintainer(uow, row, f"the dependencies of {row.key}")
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
    edges = all_edges(uow)
    loop = graph.loop_through(graph.adjacency(edges), row.id, target.id)
    cycles = []
    if loop is not None:
        names = service_keys(uow, loop)
        cycles = [DependencyCycle(services=sorted({names[i] for i in loop}), path=[names[i] for i in loop])]
    return DependencyAdded(service=row.key, depends_on=target.key, description=data.description, cycles=cycles)


def remove_dependency(uow: UnitOfWork, service_key: str, on: str) -> None:
    row = service_row(uow, service_key)
    require_service_maintainer(uow, row, f"the dependencies of {row.key}")
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


def dependency_candidates(uow: UnitOfWork, key: str, text: str = "", *, limit: int = 20) -> list[ServiceRef]:
    """The services `key` may come to depend on (not itself nor those it already depends on) whose key or
    name holds `text`, by key: at most `limit` of them, for a picker that narrows as one types."""
    require(uow.actor, Permission.READ)
    row = service_row(uow, key)
    service, dependency = models.Service, models.Dependency
    taken = select(dependency.depends_on_id).where(dependency.service_id == row.id)
    query = select(service.id).where(service.id != row.id, service.id.not_in(taken))
    words = text.strip()
    if words:
        query = query.where(any_contains(words, service.key, service.name))
    found = service_refs_by_id(uow, uow.session.scalars(query.order_by(service.key).limit(limit)))
    return sorted(found.values(), key=lambda ref: ref.key)


def service_dependencies(uow: UnitOfWork, key: str) -> ServiceDependencies:
    """Both directions: what the service needs and what needs it, directly and transitively."""
    require(uow.actor, Permission.READ)
    row = service_row(uow, key)
    direct = uow.session.scalars(
        select(models.Dependency).where(
            or_(models.Dependency.service_id == row.id, models.Dependency.depends_on_id == row.id)
        )
    ).all()
    edges = all_edges(uow)
    forward = graph.adjacency(edges)
    backward = graph.reverse(forward)
    far = graph.reachable(forward, row.id)
    near = graph.reachable(backward, row.id)
    refs = service_refs_by_id(uow, {d.service_id for d in direct} | {d.depends_on_id for d in direct} | far | near)
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
        cycles=[c for c in cycles_of(uow, forward) if row.key in c.services],
    )


def dependency_cycles(uow: UnitOfWork) -> list[DependencyCycle]:
    """Every group of services that depend on each other in a loop, with one loop each."""
    require(uow.actor, Permission.READ)
    return cycles_of(uow, graph.adjacency(all_edges(uow)))


def cycles_of(uow: UnitOfWork, forward: dict[int, list[int]]) -> list[DependencyCycle]:
    components = graph.strongly_connected(forward)
    names = service_keys(uow, {n for c in components for n in c})
    cycles = []
    for component in components:
        members = sorted(component, key=lambda i: names[i])
        loop = graph.example_loop(forward, members)
        cycles.append(DependencyCycle(services=[names[i] for i in members], path=[names[i] for i in loop]))
    return sorted(cycles, key=lambda c: c.services)


def all_edges(uow: UnitOfWork) -> list[tuple[int, int]]:
    rows = uow.session.execute(select(models.Dependency.service_id, models.Dependency.depends_on_id))
    return [(a, b) for a, b in rows]


def service_keys(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(select(models.Service.id, models.Service.key).where(models.Service.id.in_(wanted)))
    return dict(rows.all())
