"""/services, /value-streams, /dependencies and /catalog."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.api.context import CurrentActor, runtime
from digital_factory.api.paging import Paging
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import (
    CatalogOverview,
    CreatedIngestionKey,
    DependencyAdded,
    DependencyCreate,
    DependencyCycle,
    IngestionKey,
    IngestionKeyCreate,
    Service,
    ServiceCreate,
    ServiceDependencies,
    ServiceUpdate,
    ValueStream,
    ValueStreamCreate,
    ValueStreamUpdate,
    WorkLink,
    WorkLinkCreate,
)
from digital_factory.core.pagination import Page

router = APIRouter(tags=["catalog"])


@router.get("/services")
def list_services(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    owner_team: str | None = None,
    value_stream: str | None = None,
) -> Page[Service]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.list_services(uow, page, owner_team=owner_team, value_stream=value_stream)


@router.post("/services", status_code=status.HTTP_201_CREATED)
def register_service(request: Request, actor: CurrentActor, data: ServiceCreate) -> Service:
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.register_service(uow, data)


@router.get("/services/{key}")
def get_service(request: Request, actor: CurrentActor, key: str) -> Service:
    require(actor, Permission.READ)
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.get_service(uow, key)


@router.patch("/services/{key}")
def update_service(request: Request, actor: CurrentActor, key: str, data: ServiceUpdate) -> Service:
    """Change what is sent; `null` clears the owner team, repository or value stream."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.update_service(uow, key, data)


# --- dependencies ----------------------------------------------------------------------------------------


@router.get("/services/{key}/dependencies")
def service_dependencies(request: Request, actor: CurrentActor, key: str) -> ServiceDependencies:
    """Both directions: what the service depends on and what depends on it, directly and transitively."""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.service_dependencies(uow, key)


@router.post("/services/{key}/dependencies", status_code=status.HTTP_201_CREATED)
def add_dependency(request: Request, actor: CurrentActor, key: str, data: DependencyCreate) -> DependencyAdded:
    """Declare that the service depends on another. A loop it closes is reported in `cycles`, not refused."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.add_dependency(uow, key, data)


@router.delete("/services/{key}/dependencies/{on}", status_code=status.HTTP_204_NO_CONTENT)
def remove_dependency(request: Request, actor: CurrentActor, key: str, on: str) -> Response:
    with runtime(request).store.unit_of_work(actor) as uow:
        catalog.remove_dependency(uow, key, on)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/dependencies/cycles")
def dependency_cycles(request: Request, actor: CurrentActor) -> list[DependencyCycle]:
    """Every group of services depending on each other in a loop, with one loop each."""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.dependency_cycles(uow)


# --- value streams ---------------------------------------------------------------------------------------


@router.get("/value-streams")
def list_value_streams(request: Request, actor: CurrentActor) -> list[ValueStream]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.list_value_streams(uow)


@router.post("/value-streams", status_code=status.HTTP_201_CREATED)
def create_value_stream(request: Request, actor: CurrentActor, data: ValueStreamCreate) -> ValueStream:
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.create_value_stream(uow, data)


@router.get("/value-streams/{key}")
def get_value_stream(request: Request, actor: CurrentActor, key: str) -> ValueStream:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.get_value_stream(uow, key)


@router.patch("/value-streams/{key}")
def update_value_stream(request: Request, actor: CurrentActor, key: str, data: ValueStreamUpdate) -> ValueStream:
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.update_value_stream(uow, key, data)


@router.delete("/value-streams/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_value_stream(request: Request, actor: CurrentActor, key: str) -> Response:
    """Its services stay in the catalog, in no value stream."""
    with runtime(request).store.unit_of_work(actor) as uow:
        catalog.delete_value_stream(uow, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/catalog")
def catalog_overview(
    request: Request, actor: CurrentActor, value_stream: str | None = None, owner_team: str | None = None
) -> CatalogOverview:
    """The whole catalog grouped by value stream, with dependencies both ways, loops and warnings."""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.catalog_overview(uow, value_stream=value_stream, owner_team=owner_team)


@router.get("/services/{key}/ingestion-keys")
def list_ingestion_keys(request: Request, actor: CurrentActor, key: str) -> list[IngestionKey]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.list_ingestion_keys(uow, key)


@router.post("/services/{key}/ingestion-keys", status_code=status.HTTP_201_CREATED)
def create_ingestion_key(
    request: Request, actor: CurrentActor, key: str, data: IngestionKeyCreate
) -> CreatedIngestionKey:
    """A new ingestion key (`dfik_...`) for the service's telemetry; the key is in the response only."""
    rt = runtime(request)
    with rt.store.unit_of_work(actor) as uow:
        return catalog.create_ingestion_key(uow, rt.digester, key, data)


@router.post("/services/{key}/ingestion-keys/{public_id}/revoke")
def revoke_ingestion_key(request: Request, actor: CurrentActor, key: str, public_id: str) -> IngestionKey:
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.revoke_ingestion_key(uow, key, public_id)


@router.post("/services/{key}/work")
def link_work(request: Request, actor: CurrentActor, key: str, data: WorkLinkCreate) -> list[WorkLink]:
    """Record that the service serves a feature (FEAT-n) or epic (EPIC-n)."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.link_work(uow, key, data)
