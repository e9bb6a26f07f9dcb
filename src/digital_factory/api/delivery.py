"""/runs, /deployments, /incidents, /pipelines/lint, and a service's delivery sub-resources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from digital_factory.api.context import CurrentActor, Reading, Writing, runtime
from digital_factory.api.paging import MAX_ROW_ID, Paging, RowId
from digital_factory.core.pagination import Page
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import (
    ChangeTrace,
    DecisionRequest,
    Deployment,
    DeploymentFilter,
    DeploymentStatus,
    EgressPolicy,
    EgressPolicyUpdate,
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

router = APIRouter(tags=["delivery"])


# --- pipelines and runs ------------------------------------------------------------------------------


@router.get("/pipelines/schema")
def pipeline_schema(actor: CurrentActor) -> dict[str, object]:
    """The JSON Schema of `.factory/pipeline.yml`."""
    return delivery.PIPELINE_SCHEMA


@router.post("/pipelines/lint")
def lint_pipeline(uow: Reading, data: LintRequest) -> LintResult:
    """Every problem of a pipeline file with its line (200 either way; `valid` tells)."""
    return delivery.lint(uow, data)


@router.post("/services/{key}/runs", status_code=status.HTTP_201_CREATED)
def start_run(request: Request, uow: Writing, key: str, data: RunRequest) -> Run:
    """Run the service's pipeline at a ref (manual trigger)."""
    return delivery.start_run(uow, runtime(request).delivery, key, data)


@router.get("/runs")
def list_runs(uow: Reading, page: Paging, service: str | None = None, status: Status | None = None) -> Page[RunSummary]:
    return delivery.list_runs(uow, RunFilter(service=service, status=status), page)


@router.get("/runs/{run_id}")
def get_run(uow: Reading, run_id: RowId) -> Run:
    return delivery.get_run(uow, run_id)


@router.post("/runs/{run_id}/cancel")
def cancel_run(uow: Writing, run_id: RowId) -> Run:
    return delivery.cancel_run(uow, run_id)


@router.post("/runs/{run_id}/steps/{step_id}/retry")
def retry_step(uow: Writing, run_id: RowId, step_id: RowId) -> Run:
    return delivery.retry_step(uow, run_id, step_id)


@router.get("/runs/{run_id}/steps/{step_id}/log")
def step_log(
    uow: Reading,
    run_id: RowId,
    step_id: RowId,
    cursor: Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Last chunk seen (0: from the start).")] = 0,
    attempt: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> StepLogPage:
    """Log chunks after `cursor`, masked; poll with the returned cursor until `complete`."""
    return delivery.step_log(uow, run_id, step_id, cursor=cursor, attempt=attempt)


# --- deployments -------------------------------------------------------------------------------------------


@router.get("/deployments")
def list_deployments(
    uow: Reading,
    page: Paging,
    service: str | None = None,
    environment: str | None = None,
    status: DeploymentStatus | None = None,
) -> Page[Deployment]:
    filters = DeploymentFilter(service=service, environment=environment, status=status)
    return delivery.list_deployments(uow, filters, page)


@router.get("/deployments/{deployment_id}")
def get_deployment(uow: Reading, deployment_id: RowId) -> Deployment:
    return delivery.get_deployment(uow, deployment_id)


@router.post("/deployments/{deployment_id}/approve")
def approve(uow: Writing, deployment_id: RowId, data: DecisionRequest) -> Deployment:
    """Approve a waiting deployment (an approver role; not the one who triggered it; a comment)."""
    return delivery.approve(uow, deployment_id, data)


@router.post("/deployments/{deployment_id}/reject")
def reject(uow: Writing, deployment_id: RowId, data: DecisionRequest) -> Deployment:
    return delivery.reject(uow, deployment_id, data)


@router.get("/services/{key}/delivery")
def service_delivery(uow: Reading, key: str) -> ServiceDelivery:
    """What runs where: each environment's current version, waiting and recent deployments, open incidents."""
    return delivery.service_delivery(uow, key)


@router.post("/services/{key}/environments/{environment}/rollback", status_code=status.HTTP_201_CREATED)
def rollback(request: Request, uow: Writing, key: str, environment: str, data: RollbackRequest) -> RunSummary:
    """Deploy an earlier succeeded deployment's version again (a new run of its deploy stage)."""
    return delivery.rollback(uow, runtime(request).delivery, key, environment, data)


@router.get("/services/{key}/environments/{environment}/delivery-policy")
def get_policy(uow: Reading, key: str, environment: str) -> EnvironmentPolicy:
    return delivery.get_environment_policy(uow, key, environment)


@router.put("/services/{key}/environments/{environment}/delivery-policy")
def set_policy(uow: Writing, key: str, environment: str, data: EnvironmentPolicyUpdate) -> EnvironmentPolicy:
    """How many approvals the environment needs, and its deploy windows (UTC)."""
    return delivery.set_environment_policy(uow, key, environment, data)


@router.get("/services/{key}/egress-policy")
def get_egress_policy(uow: Reading, key: str) -> EgressPolicy:
    return delivery.get_egress_policy(uow, key)


@router.put("/services/{key}/egress-policy")
def set_egress_policy(uow: Writing, key: str, data: EgressPolicyUpdate) -> EgressPolicy:
    """Whether the service's pipeline steps that ask for the network get it (owners or platform)."""
    return delivery.set_egress_policy(uow, key, data)


# --- secrets (write-only) -----------------------------------------------------------------------------------


@router.get("/services/{key}/secrets")
def list_secrets(uow: Reading, key: str) -> list[SecretInfo]:
    """Names and scopes only; a secret's value never leaves the server."""
    return delivery.list_secrets(uow, key)


@router.put("/services/{key}/secrets/{name}")
def set_secret(request: Request, uow: Writing, key: str, name: str, data: SecretWrite) -> SecretInfo:
    return delivery.set_secret(uow, runtime(request).delivery.secret_box, key, name, data)


@router.delete("/services/{key}/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_secret(uow: Writing, key: str, name: str, environment: str | None = None) -> Response:
    delivery.delete_secret(uow, key, name, environment)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- incidents and traceability -------------------------------------------------------------------------------


@router.post("/incidents", status_code=status.HTTP_201_CREATED)
def open_incident(uow: Writing, data: IncidentCreate) -> Incident:
    return delivery.open_incident(uow, data)


@router.get("/incidents")
def list_incidents(
    uow: Reading,
    page: Paging,
    service: str | None = None,
    status: IncidentStatus | None = None,
) -> Page[Incident]:
    return delivery.list_incidents(uow, IncidentFilter(service=service, status=status), page)


@router.get("/incidents/{key}")
def get_incident(uow: Reading, key: str) -> Incident:
    return delivery.get_incident(uow, key)


@router.post("/incidents/{key}/resolve")
def resolve_incident(uow: Writing, key: str, data: IncidentResolve) -> Incident:
    return delivery.resolve_incident(uow, key, data)


@router.get("/work-items/{item_key}/changes")
def trace(uow: Reading, item_key: str) -> list[ChangeTrace]:
    """Changes whose commit messages name the work item, and the deployments that carried them."""
    return delivery.trace_item(uow, item_key)
