"""/services, /value-streams, /dependencies and /catalog."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.api.context import Reading, Writing, runtime
from digital_factory.api.paging import Paging
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import (
    CatalogOverview,
    CreatedIngestionKey,
    DependencyAdded,
    DependencyCreate,
    DependencyCycle,
    Environment,
    EnvironmentApprovals,
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
    uow: Reading,
    page: Paging,
    owner_team: str | None = None,
    value_stream: str | None = None,
) -> Page[Service]:
    return catalog.list_services(uow, page, owner_team=owner_team, value_stream=value_stream)


@router.post("/services", status_code=status.HTTP_201_CREATED)
def register_service(uow: Writing, data: ServiceCreate) -> Service:
    return catalog.register_service(uow, data)


@router.get("/services/{key}")
def get_service(uow: Reading, key: str) -> Service:
    require(uow.actor, Permission.READ)
    return catalog.get_service(uow, key)


@router.patch("/services/{key}")
def update_service(uow: Writing, key: str, data: ServiceUpdate) -> Service:
    """Change what is sent; `null` clears the owner team, repository or value stream."""
    return catalog.update_service(uow, key, data)


# --- dependencies ----------------------------------------------------------------------------------------


@router.get("/services/{key}/dependencies")
def service_dependencies(uow: Reading, key: str) -> ServiceDependencies:
    """Both directions: what the service depends on and what depends on it, directly and transitively."""
    return catalog.service_dependencies(uow, key)


@router.post("/services/{key}/dependencies", status_code=status.HTTP_201_CREATED)
def add_dependency(uow: Writing, key: str, data: DependencyCreate) -> DependencyAdded:
    """Declare that the service depends on another. A loop it closes is reported in `cycles`, not refused."""
    return catalog.add_dependency(uow, key, data)


@router.delete("/services/{key}/dependencies/{on}", status_code=status.HTTP_204_NO_CONTENT)
def remove_dependency(uow: Writing, key: str, on: str) -> None:
    catalog.remove_dependency(uow, key, on)


@router.get("/dependencies/cycles")
def dependency_cycles(uow: Reading) -> list[DependencyCycle]:
    """Every group of services depending on each other in a loop, with one loop each."""
    return catalog.dependency_cycles(uow)


# --- value streams ---------------------------------------------------------------------------------------


@router.get("/value-streams")
def list_value_streams(uow: Reading) -> list[ValueStream]:
    return catalog.list_value_streams(uow)


@router.post("/value-streams", status_code=status.HTTP_201_CREATED)
def create_value_stream(uow: Writing, data: ValueStreamCreate) -> ValueStream:
    return catalog.create_value_stream(uow, data)


@router.get("/value-streams/{key}")
def get_value_stream(uow: Reading, key: str) -> ValueStream:
    return catalog.get_value_stream(uow, key)


@router.patch("/value-streams/{key}")
def update_value_stream(uow: Writing, key: str, data: ValueStreamUpdate) -> ValueStream:
    return catalog.update_value_stream(uow, key, data)


@router.delete("/value-streams/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_value_stream(uow: Writing, key: str) -> None:
    """Its services stay in the catalog, in no value stream."""
    catalog.delete_value_stream(uow, key)


@router.get("/catalog")
def catalog_overview(uow: Reading, value_stream: str | None = None, owner_team: str | None = None) -> CatalogOverview:
    """The whole catalog grouped by value stream, with dependencies both ways, loops and warnings."""
    return catalog.catalog_overview(uow, value_stream=value_stream, owner_team=owner_team)


@router.get("/services/{key}/environments")
def list_environments(uow: Reading, key: str) -> list[Environment]:
    """The service's environments in promotion order, with who approves changes to each."""
    require(uow.actor, Permission.READ)
    return catalog.list_environments(uow, key)


@router.put("/services/{key}/environments/{environment}")
def set_environment_approvals(uow: Writing, key: str, environment: str, data: EnvironmentApprovals) -> Environment:
    """Who approves changes to the environment: the approval roles and the approver group (users and
    `team:<key>` entries entitled besides the owning team). For the service's owners and the platform."""
    return catalog.set_environment_approvals(uow, key, environment, data)


@router.get("/services/{key}/ingestion-keys")
def list_ingestion_keys(uow: Reading, key: str) -> list[IngestionKey]:
    return catalog.list_ingestion_keys(uow, key)


@router.post("/services/{key}/ingestion-keys", status_code=status.HTTP_201_CREATED)
def create_ingestion_key(request: Request, uow: Writing, key: str, data: IngestionKeyCreate) -> CreatedIngestionKey:
    """A new ingestion key (`dfik_...`) for the service's telemetry; the key is in the response only."""
    return catalog.create_ingestion_key(uow, runtime(request).digester, key, data)


@router.post("/services/{key}/ingestion-keys/{public_id}/revoke")
def revoke_ingestion_key(uow: Writing, key: str, public_id: str) -> IngestionKey:
    return catalog.revoke_ingestion_key(uow, key, public_id)


@router.post("/services/{key}/work")
def link_work(uow: Writing, key: str, data: WorkLinkCreate) -> list[WorkLink]:
    """Record that the service serves a feature (FEAT-n) or epic (EPIC-n)."""
    return catalog.link_work(uow, key, data)
