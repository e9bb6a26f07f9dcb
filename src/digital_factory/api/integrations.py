"""/integrations: a team's webhook hooks (GitHub, GitLab, CDEvents), their secrets and mappings.

The deliveries themselves arrive at /hooks/{kind} (api/hooks.py), outside /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from digital_factory.api.context import Reading, Writing, runtime
from digital_factory.integrations import service as integrations
from digital_factory.integrations.schemas import CreatedHook, Hook, HookCreate, HookDetail, MappingCreate

router = APIRouter(tags=["integrations"])


@router.post("/integrations", status_code=status.HTTP_201_CREATED)
def create_hook(request: Request, uow: Writing, data: HookCreate) -> CreatedHook:
    """A hook for the team; its secret is shown once (paste it into GitHub, GitLab or the CDEvents producer)."""
    return integrations.create_hook(uow, runtime(request).delivery.secret_box, data)


@router.get("/integrations")
def list_hooks(uow: Reading, team: str | None = None) -> list[Hook]:
    return integrations.list_hooks(uow, team)


@router.get("/integrations/{public_id}")
def get_hook(uow: Reading, public_id: str) -> HookDetail:
    """The hook with its mappings, outcome counts and most recent deliveries."""
    return integrations.get_hook(uow, public_id)


@router.post("/integrations/{public_id}/rotate")
def rotate_secret(request: Request, uow: Writing, public_id: str) -> CreatedHook:
    """A new secret (shown once); the old one stops working at once."""
    return integrations.rotate_secret(uow, runtime(request).delivery.secret_box, public_id)


@router.post("/integrations/{public_id}/mappings", status_code=status.HTTP_201_CREATED)
def add_mapping(uow: Writing, public_id: str, data: MappingCreate) -> Hook:
    """Deliveries naming `external` write into `service` (a service the caller may change)."""
    return integrations.add_mapping(uow, public_id, data)


@router.delete("/integrations/{public_id}/mappings")
def remove_mapping(uow: Writing, public_id: str, external: Annotated[str, Query(min_length=1, max_length=300)]) -> Hook:
    return integrations.remove_mapping(uow, public_id, external)


@router.delete("/integrations/{public_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_hook(uow: Writing, public_id: str) -> Response:
    integrations.delete_hook(uow, public_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
