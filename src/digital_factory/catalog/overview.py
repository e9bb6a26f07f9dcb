"""The whole catalog on one page, and the ownership warnings. Callers own the transaction."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import graph, models
from digital_factory.catalog.access import value_stream_row
from digital_factory.catalog.dependencies import all_edges, cycles_of, service_keys
from digital_factory.catalog.schemas import CatalogEntry, CatalogGroup, CatalogOverview, CatalogWarning
from digital_factory.catalog.services import services_out
from digital_factory.catalog.value_streams import list_value_streams
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
    rows = list(uow.session.scalars(query))
    services = services_out(uow, rows)
    edges = all_edges(uow)
    keys = service_keys(uow, {n for edge in edges for n in edge})
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
        cycles=cycles_of(uow, graph.adjacency(edges)),
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
