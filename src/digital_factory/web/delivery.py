"""Delivery pages: runs with live logs (server-sent events), approvals, environments, deployments, incidents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import allowed
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceRef
from digital_factory.core.actor import Actor
from digital_factory.core.errors import DomainError, NotFound, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import (
    DecisionRequest,
    Deployment,
    IncidentCreate,
    IncidentFilter,
    IncidentResolve,
    IncidentStatus,
    RollbackRequest,
    Run,
    RunFilter,
    RunRequest,
)
from digital_factory.repos import service as repos
from digital_factory.store.uow import Store, UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.web.context import Viewer, can, read, refusal, runtime, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
EVENT_POLL_SECONDS = 0.5
WHERE_LIMIT = 30  # services in the "what runs where" table of the delivery page
PICKER_LIMIT = 20  # services the run form's picker suggests at a time
RUN_ROLES = (Role.PLATFORM,)  # who runs any service's pipeline; others run their teams' (see _may_run)


@router.get("/delivery", response_class=HTMLResponse)
def index(
    request: Request,
    viewer: PageViewer,
    service: str | None = None,
    offset: Offset = 0,
    error: str | None = None,
) -> Response:
    return _index(request, viewer, service=service, offset=offset, error=error)


def _index(
    request: Request,
    viewer: Viewer,
    *,
    service: str | None,
    offset: int = 0,
    error: str | None = None,
    typed: str | None = None,
) -> Response:
    """The delivery page: runs (of `service`, if named), what runs where, open incidents and the run form,
    its picker holding `typed` (what a refused form named) or `service`."""

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        shown = catalog.list_services(uow, PageRequest(limit=WHERE_LIMIT))
        return {
            # the picker's first suggestions; typing asks for more (/delivery/runnable-services)
            "runnable": _runnable(uow, ""),
            "any_team_only": not teams.may_change(uow, None, RUN_ROLES),
            "runs": delivery.list_runs(uow, RunFilter(service=service or None), PageRequest(limit=30, offset=offset)),
            "services": shown.total,
            "where": [delivery.service_delivery(uow, s.key, recent=1) for s in shown.items],
            "incidents": delivery.list_incidents(uow, IncidentFilter(status=IncidentStatus.OPEN), PageRequest()).items,
        }

    return render(
        request,
        "delivery.html",
        viewer,
        active="delivery",
        service=service,
        typed=typed if typed is not None else service or "",
        picker_limit=PICKER_LIMIT,
        can_run=can(viewer, Permission.DELIVERY_WRITE),
        error=error,
        **read(request, viewer, gather),
    )


@router.get("/delivery/runnable-services", response_class=HTMLResponse)
def runnable_services(
    request: Request, viewer: PageViewer, service: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The picker's suggestions (htmx): at most PICKER_LIMIT services the viewer may run whose key or name
    holds what was typed, as the options of its datalist."""
    found = read(request, viewer, lambda uow: _runnable(uow, service))
    return render(request, "_runnable_services.html", viewer, runnable=found)


def _runnable(uow: UnitOfWork, typed: str) -> list[ServiceRef]:
    return catalog.changeable_services(uow, Permission.DELIVERY_WRITE, RUN_ROLES, q=typed, limit=PICKER_LIMIT)


@router.post("/delivery/runs")
def start_run(
    request: Request,
    viewer: FormViewer,
    service: Annotated[str, Form()] = "",
    ref: Annotated[str, Form()] = "",
    origin: Annotated[str, Form()] = "",
) -> Response:
    service = service.strip()
    try:
        if not service:
            raise ValidationFailed.on("service", "name the service whose pipeline to run")
        data = parse_input(RunRequest, {"ref": ref or None})
        run = write(request, viewer, lambda uow: delivery.start_run(uow, runtime(request).delivery, service, data))
    except DomainError as exc:  # shown on the page the button is on, in the layout, with the reason
        refused = refusal(exc, prefix=f"The pipeline of {service or 'no service'} did not start: ")
        if origin == "service":
            response = service_page(request, viewer, service, error=refused.message)
        else:  # the runs of the service named, unless there is no such service
            runs_of = None if isinstance(exc, NotFound) else service or None
            response = _index(request, viewer, service=runs_of, error=refused.message, typed=service)
        response.status_code = refused.status
        return response
    return see_other(f"/delivery/runs/{run.id}")


def _log_views(uow: UnitOfWork, run: Run) -> dict[int, tuple[int, int, str]]:
    """Per step: (attempt, cursor, text) of the stored log, shown at once; the event stream continues it."""
    views: dict[int, tuple[int, int, str]] = {}
    for stage in run.stages:
        for step in stage.steps:
            if step.attempt == 0:
                continue
            page = delivery.step_log(uow, run.id, step.id)
            views[step.id] = (page.attempt, page.cursor, "".join(c.text for c in page.chunks))
    return views


@router.get("/delivery/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, viewer: PageViewer, run_id: int) -> Response:

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        run = delivery.get_run(uow, run_id)
        gates = [delivery.get_deployment(uow, s.deployment_id) for s in run.stages if s.deployment_id is not None]
        return {
            "run": run,
            "logs": _log_views(uow, run),
            "gates": {d.id: d for d in gates},
            "hosted": repos.repository_for_service(uow, run.service),
            "why_not_approve": {d.id: _why_not_approve(uow, d) for d in gates},
            "can_run": _may_run(uow, run.service),
        }

    return render(request, "delivery_run.html", viewer, active="delivery", **read(request, viewer, gather))


def _may_run(uow: UnitOfWork, service_key: str) -> bool:
    """Runs (start, cancel, retry) are for the service's owning team and the platform role."""
    return catalog.may_change_service(uow, service_key, Permission.DELIVERY_WRITE, RUN_ROLES)


def _why_not_approve(uow: UnitOfWork, deployment: Deployment) -> str | None:
    """Why the signed-in person may not approve or reject the deployment (None: they may)."""
    actor = uow.actor
    if actor.name == deployment.triggered_by:
        return "you triggered it: a second person must approve or reject it"
    if not allowed(actor, Permission.DELIVERY_APPROVE) or actor.role not in deployment.approval_roles:
        return f"approved by the {' or '.join(deployment.approval_roles)} role; you are {actor.role}"
    if not catalog.may_approve(uow, deployment.service, deployment.environment, None):
        return (
            f"only members of the team that owns {deployment.service} (other than who triggered it) "
            f"or the approver group of {deployment.environment} may approve or reject it"
        )
    return None


@router.post("/delivery/runs/{run_id}/cancel")
def cancel(request: Request, viewer: FormViewer, run_id: int) -> Response:
    write(request, viewer, lambda uow: delivery.cancel_run(uow, run_id))
    return see_other(f"/delivery/runs/{run_id}")


@router.post("/delivery/runs/{run_id}/steps/{step_id}/retry")
def retry(request: Request, viewer: FormViewer, run_id: int, step_id: int) -> Response:
    write(request, viewer, lambda uow: delivery.retry_step(uow, run_id, step_id))
    return see_other(f"/delivery/runs/{run_id}")


@router.post("/delivery/deployments/{deployment_id}/{decision}")
def decide(
    request: Request, viewer: FormViewer, deployment_id: int, decision: str, comment: Annotated[str, Form()] = ""
) -> Response:
    verdict = {"approve": delivery.approve, "reject": delivery.reject}.get(decision)
    if verdict is None:
        return Response(status_code=404)
    data = parse_input(DecisionRequest, {"comment": comment})
    result = write(request, viewer, lambda uow: verdict(uow, deployment_id, data))
    return see_other(f"/delivery/runs/{result.run_id}" if result.run_id else f"/delivery/services/{result.service}")


# --- live events -------------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """What the browser has seen: per step (attempt, last chunk), and the statuses last sent."""

    cursors: dict[int, tuple[int, int]] = field(default_factory=dict)
    statuses: str = ""


def _parse_cursors(text: str) -> dict[int, tuple[int, int]]:
    cursors: dict[int, tuple[int, int]] = {}
    for part in text.split(","):
        pieces = part.split(".")
        if len(pieces) == 3 and all(p.isdigit() for p in pieces):
            cursors[int(pieces[0])] = (int(pieces[1]), int(pieces[2]))
    return cursors


def _events(store: Store, actor: Actor, run_id: int, stream: _Stream) -> tuple[list[str], bool]:
    with store.unit_of_work(actor, write=False) as uow:
        run = delivery.get_run(uow, run_id)
        out: list[str] = []
        statuses = {
            "run": run.status,
            "stages": {s.id: s.status for s in run.stages},
            "steps": {t.id: [t.status, t.attempt] for s in run.stages for t in s.steps},
        }
        encoded = json.dumps(statuses)
        if encoded != stream.statuses:
            stream.statuses = encoded
            out.append(f"event: status\ndata: {encoded}\n\n")
        for stage in run.stages:
            for step in stage.steps:
                if step.attempt == 0:
                    continue
                attempt, cursor = stream.cursors.get(step.id, (step.attempt, 0))
                if attempt != step.attempt:
                    attempt, cursor = step.attempt, 0
                page = delivery.step_log(uow, run_id, step.id, cursor=cursor, attempt=attempt)
                if page.chunks:
                    text = "".join(c.text for c in page.chunks)
                    data = json.dumps({"step": step.id, "attempt": attempt, "cursor": page.cursor, "text": text})
                    out.append(f"event: log\ndata: {data}\n\n")
                stream.cursors[step.id] = (attempt, page.cursor)
    return out, run.status.finished


@router.get("/delivery/runs/{run_id}/events")
async def run_events(request: Request, viewer: PageViewer, run_id: int, c: str = "") -> Response:
    """Server-sent events: `status` (run, stage and step states) and `log` (new masked output), then `end`."""
    store = runtime(request).store
    stream = _Stream(cursors=_parse_cursors(c))
    await run_in_threadpool(_events, store, viewer.actor, run_id, _Stream())  # 404 before the stream starts

    async def generate() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            events, finished = await run_in_threadpool(_events, store, viewer.actor, run_id, stream)
            for event in events:
                yield event
            if finished:
                yield "event: end\ndata: {}\n\n"
                return
            await asyncio.sleep(EVENT_POLL_SECONDS)

    return StreamingResponse(
        generate(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


# --- services: environments, deployments, incidents ---------------------------------------------------------


@router.get("/delivery/services/{key}", response_class=HTMLResponse)
def service_page(request: Request, viewer: PageViewer, key: str, error: str | None = None) -> Response:

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        return {
            "service": catalog.get_service(uow, key),
            "view": delivery.service_delivery(uow, key),
            "incidents": delivery.list_incidents(uow, IncidentFilter(service=key), PageRequest(limit=20)).items,
            "runs": delivery.list_runs(uow, RunFilter(service=key), PageRequest(limit=10)).items,
            "hosted": repos.repository_for_service(uow, key),
            # rollbacks are the owning team's; incidents also the platform's (docs/accounts.md, "Ownership")
            "can_roll_back": catalog.may_change_service(uow, key, Permission.DELIVERY_WRITE),
            "can_incident": _may_run(uow, key),
            "can_run": _may_run(uow, key),
        }

    return render(
        request,
        "delivery_service.html",
        viewer,
        active="delivery",
        **read(request, viewer, gather),
        error=error,
    )


@router.post("/delivery/services/{key}/incidents")
def open_incident(
    request: Request,
    viewer: FormViewer,
    key: str,
    environment: Annotated[str, Form()],
    title: Annotated[str, Form()],
    severity: Annotated[str, Form()] = "sev2",
    deployment: Annotated[str, Form()] = "",
) -> Response:
    body: dict[str, object] = {"service": key, "environment": environment, "title": title, "severity": severity}
    if deployment.strip():
        body["caused_by_deployment"] = deployment.strip()
    try:
        data = parse_input(IncidentCreate, body)
        write(request, viewer, lambda uow: delivery.open_incident(uow, data))
    except DomainError as exc:
        refused = refusal(exc)
        response = service_page(request, viewer, key, error=refused.message)
        response.status_code = refused.status
        return response
    return see_other(f"/delivery/services/{key}")


@router.post("/delivery/incidents/{incident_key}/resolve")
def resolve_incident(
    request: Request,
    viewer: FormViewer,
    incident_key: str,
    resolution: Annotated[str, Form()],
    deployment: Annotated[str, Form()] = "",
) -> Response:
    body: dict[str, object] = {"resolution": resolution}
    if deployment.strip():
        body["restored_by_deployment"] = deployment.strip()
    data = parse_input(IncidentResolve, body)
    incident = write(request, viewer, lambda uow: delivery.resolve_incident(uow, incident_key, data))
    return see_other(f"/delivery/services/{incident.service}")


@router.post("/delivery/services/{key}/environments/{environment}/rollback")
def rollback(
    request: Request, viewer: FormViewer, key: str, environment: str, to_deployment: Annotated[str, Form()]
) -> Response:
    data = parse_input(RollbackRequest, {"to_deployment": to_deployment})
    config = runtime(request).delivery
    run = write(request, viewer, lambda uow: delivery.rollback(uow, config, key, environment, data))
    return see_other(f"/delivery/runs/{run.id}")
