"""The telemetry area page and a service's page: RED charts, other metrics, business figures, logs, and
its ingestion keys (created and revoked only by those who may). The figures block refreshes itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import CreatedIngestionKey, IngestionKeyCreate, Service
from digital_factory.core.errors import DomainError, NotFound, ValidationFailed
from digital_factory.core.schemas import parse_input
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.web.context import Viewer, read, refusal, runtime, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.rendering import AREA_BY_SLUG, render
from digital_factory.web.telemetry.figures import SPANS, Window, checked_hours, overview, service_figures

router = APIRouter(include_in_schema=False)
SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LIVE_SECONDS = 10
LOG_LINES = 50
ALL = "all"  # the environment switcher's "all environments" (and telemetry sent without one)


@router.get("/telemetry", response_class=HTMLResponse)
def index(request: Request, viewer: PageViewer, offset: Offset = 0) -> Response:
    page = read(request, viewer, lambda uow: overview(uow, offset))
    return render(
        request,
        "telemetry.html",
        viewer,
        active="telemetry",
        area=AREA_BY_SLUG["telemetry"],
        rows=page.items,
        pager=pager_of("/telemetry", {}, page),
    )


def _environment(names: list[str], asked: str | None) -> str | None:
    """The environment shown (None: all): the one asked for, else prod, else the last in promotion order."""
    if asked == ALL:
        return None
    if asked:
        if asked not in names:
            raise NotFound(f"the service has no environment {asked!r} (it has {', '.join(names) or 'none'})")
        return asked
    return "prod" if "prod" in names else (names[-1] if names else None)


def _window(uow: UnitOfWork, key: str, env: str | None, hours: int) -> tuple[Service, Window]:
    found = catalog.get_service(uow, key)
    names = [e.name for e in found.environments]
    return found, Window(key, _environment(names, env), checked_hours(hours), uow.clock.now())


def _figures(uow: UnitOfWork, window: Window) -> dict[str, Any]:
    series = telemetry.list_series(uow, window.service, environment=window.environment, limit=500)
    return {"window": window, "figures": service_figures(uow, window, series), "live_seconds": LIVE_SECONDS}


def _service_context(uow: UnitOfWork, key: str, env: str | None, hours: int, severity: str) -> dict[str, Any]:
    if severity and severity not in SEVERITIES:
        raise ValidationFailed.on("severity", f"is one of {', '.join(SEVERITIES)}")
    found, window = _window(uow, key, env, hours)
    return {
        **_figures(uow, window),
        "service": found,
        "environments": [e.name for e in found.environments],
        "counts": telemetry.severity_counts(uow, key, since=window.start),
        "logs": telemetry.recent_logs(
            uow, key, environment=window.environment, severity=severity or None, limit=LOG_LINES
        ),
        "keys": catalog.list_ingestion_keys(uow, key),
        "may_keys": catalog.may_change_service(uow, key, Permission.DELIVERY_WRITE, [Role.PLATFORM]),
    }


def _service_page(
    request: Request,
    viewer: Viewer,
    key: str,
    *,
    env: str | None = None,
    hours: int = 24,
    severity: str = "",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    found = read(request, viewer, lambda uow: _service_context(uow, key, env, hours, severity))
    return render(
        request,
        "telemetry_service.html",
        viewer,
        status_code=status_code,
        active="telemetry",
        spans=SPANS,
        severities=SEVERITIES,
        severity=severity,
        **found,
        **extra,
    )


@router.get("/telemetry/services/{key}", response_class=HTMLResponse)
def service_page(
    request: Request, viewer: PageViewer, key: str, env: str | None = None, hours: int = 24, severity: str = ""
) -> Response:
    return _service_page(request, viewer, key, env=env, hours=hours, severity=severity)


@router.get("/telemetry/services/{key}/live", response_class=HTMLResponse)
def live(request: Request, viewer: PageViewer, key: str, env: str | None = None, hours: int = 24) -> Response:
    """The figures and charts block alone, for the page's poll."""
    found = read(request, viewer, lambda uow: _figures(uow, _window(uow, key, env, hours)[1]))
    return render(request, "_telemetry_live.html", viewer, service_key=key, **found)


def exporter_lines(public_url: str, created: CreatedIngestionKey, environment: str | None) -> list[str]:
    """What to paste into the service's environment so its OpenTelemetry SDK sends here with the new key."""
    lines = [
        f"OTEL_EXPORTER_OTLP_ENDPOINT={public_url.rstrip('/')}",
        f"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer {created.secret}",
        f"OTEL_SERVICE_NAME={created.key.service}",
    ]
    if environment:
        lines.append(f"OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name={environment}")
    return lines


@router.post("/telemetry/services/{key}/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    viewer: FormViewer,
    key: str,
    name: Annotated[str, Form()] = "",
    env: Annotated[str, Form()] = "",
) -> Response:
    digester = runtime(request).digester
    try:
        data = parse_input(IngestionKeyCreate, {"name": name})
        created = write(request, viewer, lambda uow: catalog.create_ingestion_key(uow, digester, key, data))
    except DomainError as exc:
        refused = refusal(exc, prefix="No key was made: ")
        return _service_page(
            request, viewer, key, env=env or None, status_code=refused.status, key_error=refused.message
        )
    lines = exporter_lines(runtime(request).public_url, created, env or None)
    return _service_page(request, viewer, key, env=env or None, created=created, exporter=lines)


@router.post("/telemetry/services/{key}/keys/{public_id}/revoke")
def revoke_key(request: Request, viewer: FormViewer, key: str, public_id: str) -> Response:
    write(request, viewer, lambda uow: catalog.revoke_ingestion_key(uow, key, public_id))
    return see_other(f"/telemetry/services/{key}#keys")
