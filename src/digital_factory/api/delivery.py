"""/runs, /deployments, /incidents, /pipelines/lint, and a service's delivery sub-resources."""

from __future__ import annotations

from typing import Annotated, Protocol, cast

from fastapi import APIRouter, Query, Request, Response, status

from digital_factory.api.context import CurrentActor
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.delivery import deployments, incidents, secrets
from digital_factory.delivery import service as delivery
from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.pipeline_file import PIPELINE_SCHEMA
from digital_factory.delivery.schemas import (
    ChangeTrace,
    DecisionRequest,
    Deployment,
    DeploymentFilter,
    DeploymentStatus,
    EnvironmentPolicy,
    EnvironmentPolicyUpdate,
    Incident,
    IncidentCreate,
    IncidentFilter,
    IncidentResolve,
    IncidentStatus,
    LintRequest,
    LintResult,
    RollbackRequest,
    Run,
    RunFilter,
    RunRequest,
    RunSummary,
    SecretInfo,
    SecretWrite,
    ServiceDelivery,
    Status,
    StepLogPage,
)
from digital_factory.store.uow import Store

router = APIRouter(tags=["delivery"])


class DeliveryRuntime(Protocol):
    store: Store
    delivery: DeliveryConfig


def _rt(request: Request) -> DeliveryRuntime:
    return cast(DeliveryRuntime, request.app.state.runtime)


# --- pipelines and runs ------------------------------------------------------------------------------


@router.get("/pipelines/schema")
def pipeline_schema(actor: CurrentActor) -> dict[str, object]:
    """The JSON Schema of `.factory/pipeline.yml`."""
    return PIPELINE_SCHEMA


@router.post("/pipelines/lint")
def lint_pipeline(request: Request, actor: CurrentActor, data: LintRequest) -> LintResult:
    """Every problem of a pipeline file with its line (200 either way; `valid` tells)."""
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return delivery.lint(uow, data)


@router.post("/services/{key}/runs", status_code=status.HTTP_201_CREATED)
def start_run(request: Request, actor: CurrentActor, key: str, data: RunRequest) -> Run:
    """Run the service's pipeline at a ref (manual trigger)."""
    rt = _rt(request)
    with rt.store.unit_of_work(actor) as uow:
        return delivery.start_run(uow, rt.delivery, key, data)


@router.get("/runs")
def list_runs(
    request: Request, actor: CurrentActor, page: Paging, service: str | None = None, status: Status | None = None
) -> Page[RunSummary]:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return delivery.list_runs(uow, RunFilter(service=service, status=status), page)


@router.get("/runs/{run_id}")
def get_run(request: Request, actor: CurrentActor, run_id: int) -> Run:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return delivery.get_run(uow, run_id)


@router.post("/runs/{run_id}/cancel")
def cancel_run(request: Request, actor: CurrentActor, run_id: int) -> Run:
    with _rt(request).store.unit_of_work(actor) as uow:
        return delivery.cancel_run(uow, run_id)


@router.post("/runs/{run_id}/steps/{step_id}/retry")
def retry_step(request: Request, actor: CurrentActor, run_id: int, step_id: int) -> Run:
    with _rt(request).store.unit_of_work(actor) as uow:
        return delivery.retry_step(uow, run_id, step_id)


@router.get("/runs/{run_id}/steps/{step_id}/log")
def step_log(
    request: Request,
    actor: CurrentActor,
    run_id: int,
    step_id: int,
    cursor: Annotated[int, Query(ge=0, description="Last chunk seen (0: from the start).")] = 0,
    attempt: Annotated[int | None, Query(ge=1)] = None,
) -> StepLogPage:
    """Log chunks after `cursor`, masked; poll with the returned cursor until `complete`."""
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return delivery.step_log(uow, run_id, step_id, cursor=cursor, attempt=attempt)


# --- deployments -------------------------------------------------------------------------------------------


@router.get("/deployments")
def list_deployments(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    service: str | None = None,
    environment: str | None = None,
    status: DeploymentStatus | None = None,
) -> Page[Deployment]:
    filters = DeploymentFilter(service=service, environment=environment, status=status)
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return deployments.list_deployments(uow, filters, page)


@router.get("/deployments/{deployment_id}")
def get_deployment(request: Request, actor: CurrentActor, deployment_id: int) -> Deployment:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return deployments.get_deployment(uow, deployment_id)


@router.post("/deployments/{deployment_id}/approve")
def approve(request: Request, actor: CurrentActor, deployment_id: int, data: DecisionRequest) -> Deployment:
    """Approve a waiting deployment (an approver role; not the one who triggered it; a comment)."""
    with _rt(request).store.unit_of_work(actor) as uow:
        return deployments.approve(uow, deployment_id, data)


@router.post("/deployments/{deployment_id}/reject")
def reject(request: Request, actor: CurrentActor, deployment_id: int, data: DecisionRequest) -> Deployment:
    with _rt(request).store.unit_of_work(actor) as uow:
        return deployments.reject(uow, deployment_id, data)


@router.get("/services/{key}/delivery")
def service_delivery(request: Request, actor: CurrentActor, key: str) -> ServiceDelivery:
    """What runs where: each environment's current version, waiting and recent deployments, open incidents."""
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return deployments.service_delivery(uow, key)


@router.post("/services/{key}/environments/{environment}/rollback", status_code=status.HTTP_201_CREATED)
def rollback(request: Request, actor: CurrentActor, key: str, environment: str, data: RollbackRequest) -> RunSummary:
    """Deploy an earlier succeeded deployment's version again (a new run of its deploy stage)."""
    rt = _rt(request)
    with rt.store.unit_of_work(actor) as uow:
        return deployments.rollback(uow, rt.delivery, key, environment, data)


@router.get("/services/{key}/environments/{environment}/delivery-policy")
def get_policy(request: Request, actor: CurrentActor, key: str, environment: str) -> EnvironmentPolicy:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return deployments.get_environment_policy(uow, key, environment)


@router.put("/services/{key}/environments/{environment}/delivery-policy")
def set_policy(
    request: Request, actor: CurrentActor, key: str, environment: str, data: EnvironmentPolicyUpdate
) -> EnvironmentPolicy:
    """How many approvals the environment needs, and its deploy windows (UTC)."""
    with _rt(request).store.unit_of_work(actor) as uow:
        return deployments.set_environment_policy(uow, key, environment, data)


# --- secrets (write-only) -----------------------------------------------------------------------------------


@router.get("/services/{key}/secrets")
def list_secrets(request: Request, actor: CurrentActor, key: str) -> list[SecretInfo]:
    """Names and scopes only; a secret's value never leaves the server."""
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return secrets.list_secrets(uow, key)


@router.put("/services/{key}/secrets/{name}")
def set_secret(request: Request, actor: CurrentActor, key: str, name: str, data: SecretWrite) -> SecretInfo:
    rt = _rt(request)
    with rt.store.unit_of_work(actor) as uow:
        return secrets.set_secret(uow, rt.delivery.secret_box, key, name, data)


@router.delete("/services/{key}/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_secret(
    request: Request, actor: CurrentActor, key: str, name: str, environment: str | None = None
) -> Response:
    with _rt(request).store.unit_of_work(actor) as uow:
        secrets.delete_secret(uow, key, name, environment)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- incidents and traceability -------------------------------------------------------------------------------


@router.post("/incidents", status_code=status.HTTP_201_CREATED)
def open_incident(request: Request, actor: CurrentActor, data: IncidentCreate) -> Incident:
    with _rt(request).store.unit_of_work(actor) as uow:
        return incidents.open_incident(uow, data)


@router.get("/incidents")
def list_incidents(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    service: str | None = None,
    status: IncidentStatus | None = None,
) -> Page[Incident]:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return incidents.list_incidents(uow, IncidentFilter(service=service, status=status), page)


@router.get("/incidents/{key}")
def get_incident(request: Request, actor: CurrentActor, key: str) -> Incident:
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return incidents.get_incident(uow, key)


@router.post("/incidents/{key}/resolve")
def resolve_incident(request: Request, actor: CurrentActor, key: str, data: IncidentResolve) -> Incident:
    with _rt(request).store.unit_of_work(actor) as uow:
        return incidents.resolve_incident(uow, key, data)


@router.get("/work-items/{item_key}/changes")
def trace(request: Request, actor: CurrentActor, item_key: str) -> list[ChangeTrace]:
    """Changes whose commit messages name the work item, and the deployments that carried them."""
    with _rt(request).store.unit_of_work(actor, write=False) as uow:
        return deployments.trace_item(uow, item_key)
