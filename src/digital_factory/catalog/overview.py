"""The catalog overview (whole, for the API; a page at a time, for the web) and the ownership warnings.
Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from sqlalchemy import func, or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import graph, models
from digital_factory.catalog.access import value_stream_row
from digital_factory.catalog.dependencies import all_edges, cycles_of, service_keys
from digital_factory.catalog.schemas import (
    CatalogEntry,
    CatalogFilter,
    CatalogGroup,
    CatalogOverview,
    CatalogPage,
    CatalogWarning,
    ValueStream,
)
from digital_factory.catalog.services import services_out
from digital_factory.catalog.value_streams import list_value_streams
from digital_factory.core.pagination import PageRequest
from digital_factory.store.paging import paginate
from digital_factory.store.search import any_contains
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamRef, TeamType


def catalog_overview(
    uow: UnitOfWork, *, value_stream: str | None = None, owner_team: str | None = None
) -> CatalogOverview:
    """Services grouped by value stream (streams by name, then services in none), with their owners,
    environments and dependencies both ways, the loops and the ownership warnings. A fixed number of
    queries, whatever the size of the catalog."""
    require(uow.actor, Permission.READ)
    query = select(models.Service).order_by(models.Service.name, models.Service.key)
    if value_stream:
        query = query.where(models.Service.value_stream_id == value_stream_row(uow, value_stream).id)
    if owner_team:
        query = query.where(models.Service.owner_team_id == teams.team_id(uow, owner_team))
    edges = all_edges(uow)
    entries = _with_edges(uow, list(uow.session.scalars(query)), edges)
    streams = {s.key: s for s in list_value_streams(uow)}
    grouped: dict[str | None, list[CatalogEntry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.service.value_stream].append(entry)
    groups = [CatalogGroup(value_stream=s, entries=grouped.get(s.key, [])) for s in streams.values()]
    if value_stream:
        groups = [g for g in groups if g.value_stream and g.value_stream.key == value_stream]
    elif owner_team:
        groups = [g for g in groups if g.entries]
    if grouped.get(None):
        groups.append(CatalogGroup(value_stream=None, entries=grouped[None]))
    return CatalogOverview(
        groups=groups,
        services=len(entries),
        dependencies=len(edges),
        cycles=cycles_of(uow, graph.adjacency(edges)),
        warnings=ownership_warnings(uow),
    )


def catalog_page(uow: UnitOfWork, filters: CatalogFilter, page: PageRequest) -> CatalogPage:
    """One page of the services matching `filters`, ordered by value stream name (services in none last),
    then name, grouped by stream; with the whole catalog's counts, loops and ownership warnings. Reads the
    page's services and the dependencies touching them, not the whole catalog's rows (the loops need every
    edge, as pairs of ids): a fixed number of queries whatever its size."""
    require(uow.actor, Permission.READ)
    stream, service = models.ValueStream, models.Service
    query = select(service).outerjoin(stream, service.value_stream_id == stream.id)
    if filters.value_stream:
        query = query.where(service.value_stream_id == value_stream_row(uow, filters.value_stream).id)
    if filters.owner_team:
        query = query.where(service.owner_team_id == teams.team_id(uow, filters.owner_team))
    words = (filters.q or "").strip()
    if words:
        query = query.where(any_contains(words, service.name, service.key))
    order = [stream.id.is_(None), stream.name, service.name, service.key]
    found = paginate(uow.session, query, page, partial(_entries, uow), order_by=order)
    unfiltered = not (filters.value_stream or filters.owner_team or words)
    edges = all_edges(uow)
    streams = list_value_streams(uow)
    return CatalogPage(
        groups=_grouped(streams, found.items),
        total=found.total,
        limit=found.limit,
        offset=found.offset,
        services=found.total if unfiltered else uow.session.scalar(select(func.count()).select_from(service)) or 0,
        dependencies=len(edges),
        value_streams=streams,
        cycles=cycles_of(uow, graph.adjacency(edges)),
        warnings=ownership_warnings(uow),
    )


def _entries(uow: UnitOfWork, rows: Sequence[models.Service]) -> list[CatalogEntry]:
    """The page's services with their dependencies both ways: only the edges that touch them."""
    ids = [row.id for row in rows]
    dependency = models.Dependency
    edges = uow.session.execute(
        select(dependency.service_id, dependency.depends_on_id).where(
            or_(dependency.service_id.in_(ids), dependency.depends_on_id.in_(ids))
        )
    ).all()
    return _with_edges(uow, rows, edges)


def _with_edges(
    uow: UnitOfWork, rows: Sequence[models.Service], edges: Sequence[tuple[int, int]]
) -> list[CatalogEntry]:
    """The services with the keys of those they depend on and of their dependents, as far as `edges` tell."""
    keys = service_keys(uow, {n for edge in edges for n in edge})
    depends_on: dict[int, list[str]] = defaultdict(list)
    dependents: dict[int, list[str]] = defaultdict(list)
    for source, target in edges:
        depends_on[source].append(keys[target])
        dependents[target].append(keys[source])
    return [
        CatalogEntry(service=out, depends_on=sorted(depends_on[row.id]), dependents=sorted(dependents[row.id]))
        for row, out in zip(rows, services_out(uow, rows), strict=True)
    ]


def _grouped(value_streams: list[ValueStream], entries: list[CatalogEntry]) -> list[CatalogGroup]:
    """Consecutive entries of one value stream in one group (the page is ordered by stream)."""
    streams = {s.key: s for s in value_streams}
    groups: list[CatalogGroup] = []
    for entry in entries:
        key = entry.service.value_stream
        if not groups or (groups[-1].value_stream.key if groups[-1].value_stream else None) != key:
            groups.append(CatalogGroup(value_stream=streams[key] if key else None, entries=[]))
        groups[-1].entries.append(entry)
    return groups


def ownership_warnings(uow: UnitOfWork, team: str | None = None) -> list[CatalogWarning]:
    """Team Topologies on ownership: enabling teams own no services."""
    require(uow.actor, Permission.READ)
    # teams are few and services many: read the services of enabling teams only
    refs: dict[int, TeamRef] = {i: r for i, r in teams.team_refs(uow).items() if r.team_type is TeamType.ENABLING}
    if team:
        wanted = teams.team_id(uow, team)  # an unknown team is an error, not "no warnings"
        refs = {i: r for i, r in refs.items() if i == wanted}
    if not refs:
        return []
    query = select(models.Service.key, models.Service.owner_team_id).where(models.Service.owner_team_id.in_(refs))
    owned: dict[int, list[str]] = defaultdict(list)
    for key, owner in uow.session.execute(query):
        if owner is not None:
            owned[owner].append(key)
    return [
        CatalogWarning(
            team=refs[owner].key,
            rule="enabling-team-owns-services",
            message=f"the enabling team {refs[owner].key} owns {', '.join(sorted(keys))}; enabling teams help "
            "other teams acquire capabilities and do not own services: hand them to the team that runs them",
            source="TeamAPI spec, Definitions; Skelton & Pais, Team Topologies (2019), ch. 5",
        )
        for owner, keys in sorted(owned.items(), key=lambda item: refs[item[0]].key)
    ]
