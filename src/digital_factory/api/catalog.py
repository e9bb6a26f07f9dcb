"""/services."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from digital_factory.accounts.policy import require
from digital_factory.accounts.roles import Permission
from digital_factory.api.context import CurrentActor, runtime
from digital_factory.api.paging import Paging
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import (
    CreatedIngestionKey,
    IngestionKey,
    IngestionKeyCreate,
    Service,
    ServiceCreate,
    WorkLink,
    WorkLinkCreate,
)
from digital_factory.core.pagination import Page

router = APIRouter(tags=["catalog"])


@router.get("/services")
def list_services(request: Request, actor: CurrentActor, page: Paging, owner_team: str | None = None) -> Page[Service]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.list_services(uow, page, owner_team=owner_team)


@router.post("/services", status_code=status.HTTP_201_CREATED)
def register_service(request: Request, actor: CurrentActor, data: ServiceCreate) -> Service:
    with runtime(request).store.unit_of_work(actor) as uow:
        return catalog.register_service(uow, data)


@router.get("/services/{key}")
def get_service(request: Request, actor: CurrentActor, key: str) -> Service:
    require(actor, Permission.READ)
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return catalog.get_service(uow, key)


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
