"""The webhooks page of a team: its hooks with the URL to paste into GitHub, GitLab or a CDEvents producer,
their mappings, last delivery and outcome counts; create and map forms only for those who may."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.core.errors import DomainError
from digital_factory.core.schemas import parse_input
from digital_factory.integrations import service as integrations
from digital_factory.integrations.schemas import CreatedHook, HookCreate, HookKind, MappingCreate
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.web.context import Viewer, read, refusal, runtime, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    viewer: Viewer,
    key: str,
    *,
    status_code: int = 200,
    error: str | None = None,
    created: CreatedHook | None = None,
) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        hooks = [integrations.get_hook(uow, h.public_id) for h in integrations.list_hooks(uow, key)]
        return {"team": teams.get_team(uow, key), "hooks": hooks, "may": integrations.may_change_hooks(uow, key)}

    return render(
        request,
        "integrations.html",
        viewer,
        status_code=status_code,
        active="teams",
        error=error,
        created=created,
        kinds=[k.value for k in HookKind],
        public_url=runtime(request).public_url.rstrip("/"),
        **read(request, viewer, load),
    )


@router.get("/teams/{key}/integrations", response_class=HTMLResponse)
def integrations_page(request: Request, viewer: PageViewer, key: str) -> Response:
    return _page(request, viewer, key)


@router.post("/teams/{key}/integrations", response_class=HTMLResponse)
def create_hook(
    request: Request, viewer: FormViewer, key: str, kind: Annotated[str, Form()], name: Annotated[str, Form()] = ""
) -> Response:
    box = runtime(request).delivery.secret_box
    try:
        data = parse_input(HookCreate, {"kind": kind, "team": key, "name": name.strip() or f"{kind} for {key}"})
        created = write(request, viewer, lambda uow: integrations.create_hook(uow, box, data))
    except DomainError as exc:
        r = refusal(exc)
        return _page(request, viewer, key, status_code=r.status, error=r.message)
    return _page(request, viewer, key, created=created)


@router.post("/teams/{key}/integrations/{public_id}/mappings", response_class=HTMLResponse)
def add_mapping(
    request: Request,
    viewer: FormViewer,
    key: str,
    public_id: str,
    external: Annotated[str, Form()],
    service: Annotated[str, Form()],
) -> Response:
    try:
        data = parse_input(MappingCreate, {"external": external, "service": service})
        write(request, viewer, lambda uow: integrations.add_mapping(uow, public_id, data))
    except DomainError as exc:
        r = refusal(exc)
        return _page(request, viewer, key, status_code=r.status, error=r.message)
    return see_other(f"/teams/{key}/integrations")
