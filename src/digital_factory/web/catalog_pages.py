"""Web pages of the service catalog: /catalog a page at a time (filtered on the server), value streams,
and each service's page with its dependencies and environments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import (
    CatalogFilter,
    DependencyCreate,
    EnvironmentApprovals,
    ServiceUpdate,
    ValueStreamCreate,
    ValueStreamUpdate,
)
from digital_factory.core.errors import DomainError
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.portfolio import service as portfolio
from digital_factory.repos import service as repos
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.web.context import Viewer, can, kept, read, refusal, write
from digital_factory.web.pages import FormViewer, PageViewer, back_with_notice
from digital_factory.web.paging import Offset, pager
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)


# --- /catalog --------------------------------------------------------------------------------------------------


CATALOG_PAGE_SIZE = 50
DEPENDENCY_CHOICES = 20  # the services a dependency picker offers at once


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    viewer: PageViewer,
    value_stream: Annotated[str, Query(max_length=64)] = "",
    owner_team: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Offset = 0,
    notice: str | None = None,
) -> Response:
    filters = CatalogFilter(value_stream=value_stream or None, owner_team=owner_team or None, q=q.strip() or None)
    return _catalog_page(request, viewer, filters=filters, offset=offset, notice=notice)


def _catalog_page(
    request: Request,
    viewer: Viewer,
    *,
    filters: CatalogFilter | None = None,
    offset: int = 0,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A page of the catalog (CATALOG_PAGE_SIZE services), its filters kept in the pager's links."""
    chosen = filters or CatalogFilter()

    def load(uow: UnitOfWork) -> dict[str, Any]:
        refs = teams.team_refs(uow).values()  # the filter's teams: names and types, one light query
        return {
            "page": catalog.catalog_page(uow, chosen, PageRequest(limit=CATALOG_PAGE_SIZE, offset=offset)),
            "teams": sorted((t for t in refs if t.archived_at is None), key=lambda t: (t.name, t.key)),
            "team_types": {t.key: str(t.team_type) for t in refs},
        }

    key = ("catalog", chosen.value_stream, chosen.owner_team, chosen.q, offset)
    loaded = dict(read(request, viewer, lambda uow: kept(request, uow, catalog.TOPIC, key, lambda: load(uow))))
    page = loaded["page"]
    loaded["streams"] = page.value_streams
    return render(
        request,
        "catalog.html",
        viewer,
        status_code=status_code,
        active="teams",
        filters=chosen,
        pager=pager(
            "/catalog", chosen.model_dump(), offset=offset, limit=page.limit, shown=page.shown, total=page.total
        ),
        can_platform=can(viewer, Permission.PLATFORM_WRITE),
        **loaded,
        **extra,
    )


@router.post("/catalog/value-streams", response_class=HTMLResponse)
def create_value_stream(
    request: Request,
    viewer: FormViewer,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse_input(ValueStreamCreate, {"key": key, "name": name, "description": description})
        write(request, viewer, lambda uow: catalog.create_value_stream(uow, data))
    except DomainError as exc:
        r = refusal(exc)
        return _catalog_page(request, viewer, status_code=r.status, error=r.message)
    return back_with_notice("/catalog", f"Value stream {name} created.")


@router.post("/catalog/value-streams/{key}", response_class=HTMLResponse)
def update_value_stream(
    request: Request,
    viewer: FormViewer,
    key: str,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse_input(ValueStreamUpdate, {"name": name, "description": description})
        write(request, viewer, lambda uow: catalog.update_value_stream(uow, key, data))
    except DomainError as exc:
        r = refusal(exc)
        return _catalog_page(request, viewer, status_code=r.status, error=f"{key}: {r.message}")
    return back_with_notice("/catalog", f"Value stream {name} saved.")


@router.get("/catalog/services/{key}", response_class=HTMLResponse)
def service_page(request: Request, viewer: PageViewer, key: str, notice: str | None = None) -> Response:
    return _service_page(request, viewer, key, notice=notice)


def _service_page(request: Request, viewer: Viewer, key: str, *, status_code: int = 200, **extra: Any) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        service = catalog.get_service(uow, key)
        return {
            "service": service,
            "owner": teams.team_ref(uow, service.owner_team) if service.owner_team else None,
            "dependencies": catalog.service_dependencies(uow, key),
            # the picker's first choices; typing asks /dependency-candidates for others, any key is checked
            "candidates": catalog.dependency_candidates(uow, key, limit=DEPENDENCY_CHOICES),
            "streams": catalog.list_value_streams(uow),
            "hosted": repos.repository_for_service(uow, key),
            "epic_of": _epics_of(uow, [w.key for w in service.serves if w.kind == "feature"]),
            "can_change": catalog.may_change_service(uow, key, Permission.DELIVERY_WRITE, [Role.PLATFORM]),
            "roles": [str(role) for role in Role],
        }

    return render(
        request,
        "service.html",
        viewer,
        status_code=status_code,
        active="teams",
        **read(request, viewer, load),
        **extra,
    )


@router.get("/catalog/services/{key}/dependency-candidates", response_class=HTMLResponse)
def dependency_candidates(
    request: Request, viewer: PageViewer, key: str, on: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The dependency picker's options for what was typed (htmx fills its datalist with them)."""
    found = read(request, viewer, lambda uow: catalog.dependency_candidates(uow, key, on, limit=DEPENDENCY_CHOICES))
    return render(request, "_service_options.html", viewer, candidates=found)


def _epics_of(uow: UnitOfWork, feature_keys: list[str]) -> dict[str, str]:
    """The epic of each feature a service serves (one read)."""
    if not feature_keys:
        return {}
    wanted = set(feature_keys)
    return {f: h.key for h in portfolio.epic_histories(uow, keys=feature_keys) for f in h.features if f in wanted}


def _service_form(
    request: Request, viewer: Viewer, key: str, notice: str, work: Callable[[UnitOfWork], object]
) -> Response:
    try:
        result = write(request, viewer, work)
    except DomainError as exc:
        r = refusal(exc)
        return _service_page(request, viewer, key, status_code=r.status, error=r.message)
    cycles = getattr(result, "cycles", None)
    if cycles:
        notice += " It closes a dependency loop: " + " → ".join(cycles[0].path) + "."
    return back_with_notice(f"/catalog/services/{key}", notice, "dependencies")


@router.post("/catalog/services/{key}/dependencies", response_class=HTMLResponse)
def add_dependency(
    request: Request,
    viewer: FormViewer,
    key: str,
    on: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    return _service_form(
        request,
        viewer,
        key,
        f"{key} now depends on {on}.",
        lambda uow: catalog.add_dependency(
            uow, key, parse_input(DependencyCreate, {"on": on, "description": description})
        ),
    )


@router.post("/catalog/services/{key}/dependencies/{on}/remove", response_class=HTMLResponse)
def remove_dependency(request: Request, viewer: FormViewer, key: str, on: str) -> Response:
    return _service_form(
        request, viewer, key, f"{key} no longer depends on {on}.", lambda uow: catalog.remove_dependency(uow, key, on)
    )


@router.post("/catalog/services/{key}/environments/{environment}", response_class=HTMLResponse)
def set_environment_approvals(
    request: Request,
    viewer: FormViewer,
    key: str,
    environment: str,
    approval_roles: Annotated[list[str] | None, Form()] = None,
    approvers: Annotated[str, Form()] = "",
) -> Response:
    """Who approves changes to the environment: roles ticked, approvers as usernames and team:<key>."""

    def work(uow: UnitOfWork) -> object:
        entries = [e for e in approvers.replace(",", " ").split() if e]
        data = parse_input(EnvironmentApprovals, {"approval_roles": approval_roles or [], "approvers": entries})
        return catalog.set_environment_approvals(uow, key, environment, data)

    return _service_form(request, viewer, key, f"Approval policy of {environment} saved.", work)


@router.post("/catalog/services/{key}", response_class=HTMLResponse)
def update_service(
    request: Request,
    viewer: FormViewer,
    key: str,
    value_stream: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    data = {"value_stream": value_stream or None, "description": description}
    return _service_form(
        request, viewer, key, "Saved.", lambda uow: catalog.update_service(uow, key, parse_input(ServiceUpdate, data))
    )
