"""Deployments and their gates: approve, reject, roll back, environment policy, the environment view, trace.

Approval rules (continuous delivery): the approver holds one of the environment's approval roles, is not the
one who triggered the run, is entitled to the service (a member of its owning team, or of the environment's
approver group: `catalog.require_entitled_approver`), and writes a comment. The deployment row is locked
while an approval is counted, so concurrent approvals count once each and never past the number required.
"""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.delivery import models, orchestration
from digital_factory.delivery import windows as deploy_windows
from digital_factory.delivery.config import DeliveryConfig
from digital_factory.delivery.listing import newest_first
from digital_factory.delivery.lookup import MAX_ID, by_id
from digital_factory.delivery.runs import _summary, start_rollback
from digital_factory.delivery.schemas import (
    ApprovalOut,
    ChangeOut,
    ChangeTrace,
    DecisionRequest,
    Deployment,
    DeploymentFilter,
    DeploymentStatus,
    EnvironmentPolicy,
    EnvironmentPolicyUpdate,
    EnvironmentState,
    Incident,
    IncidentStatus,
    RollbackRequest,
    RunSummary,
    ServiceDelivery,
)
from digital_factory.store.uow import UnitOfWork


def _locked(uow: UnitOfWork, deployment_id: int) -> tuple[models.Deployment, int]:
    """The deployment row locked, after its run's row: every path takes run, then deployment (no deadlock).
    Returned with its run's id; a deployment recorded from outside has no run and no gate here (409)."""
    found = None
    if 0 < deployment_id <= MAX_ID:
        found = uow.session.execute(
            select(models.Deployment.run_id, models.Deployment.origin).where(models.Deployment.id == deployment_id)
        ).one_or_none()
    if found is None:
        raise NotFound(f"there is no deployment {deployment_id}")
    run_id, origin = found
    if run_id is None:
        raise Conflict(
            f"deployment {deployment_id} was recorded from {origin}: it has no approval gate here",
            rule="outside-deployment",
        )
    orchestration.lock_run(uow, run_id)
    row = uow.session.execute(
        select(models.Deployment)
        .where(models.Deployment.id == deployment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"there is no deployment {deployment_id}")
    return row, run_id


def _check_approver(uow: UnitOfWork, deployment: models.Deployment) -> None:
    require(uow.actor, Permission.DELIVERY_APPROVE)
    if not deployment.approval_roles:
        raise Conflict(f"deployments to {deployment.environment} need no approval", rule="automatic-environment")
    if uow.actor.role not in deployment.approval_roles:
        raise PermissionDenied(
            f"deployments to {deployment.environment} are approved by {' or '.join(deployment.approval_roles)}; "
            f"{uow.actor.name} is {uow.actor.role}"
        )
    self_approval = (
        uow.actor.user_id is not None and uow.actor.user_id == deployment.triggered_by_user_id
    ) or uow.actor.name == deployment.triggered_by
    if self_approval:
        raise PermissionDenied(f"{uow.actor.name} triggered this deployment; someone else must decide on it")
    what = f"deployment {deployment.id} of {deployment.service_key} to {deployment.environment}"
    catalog.require_entitled_approver(
        uow, deployment.service_key, deployment.environment, deployment.triggered_by_user_id, what=what
    )


def approve(uow: UnitOfWork, deployment_id: int, data: DecisionRequest) -> Deployment:
    deployment, run_id = _waiting_for(uow, deployment_id)
    if orchestration.approval_count(uow, deployment.id) >= deployment.required_approvals:
        raise Conflict(f"deployment {deployment_id} already has its approvals", rule="deployment-approved")
    already = uow.session.scalar(
        select(models.Approval.id).where(
            models.Approval.deployment_id == deployment.id, models.Approval.username == uow.actor.name
        )
    )
    if already:
        raise Conflict(f"{uow.actor.name} already approved deployment {deployment_id}", rule="one-approval-per-person")
    _decide(uow, deployment, "approved", data.comment)
    run = orchestration.lock_run(uow, run_id)
    orchestration.advance(uow, run)
    return _decided(uow, deployment, "deployment.approve", data.comment)


def reject(uow: UnitOfWork, deployment_id: int, data: DecisionRequest) -> Deployment:
    deployment, run_id = _waiting_for(uow, deployment_id)
    _decide(uow, deployment, "rejected", data.comment)
    run = orchestration.lock_run(uow, run_id)
    orchestration.cancel(
        uow, run, f"deployment to {deployment.environment} rejected by {uow.actor.name}: {data.comment}"
    )
    deployment.status = DeploymentStatus.REJECTED
    return _decided(uow, deployment, "deployment.reject", data.comment)


def _waiting_for(uow: UnitOfWork, deployment_id: int) -> tuple[models.Deployment, int]:
    """The deployment, locked, with its run's id, once the actor may decide on it and it still waits."""
    deployment, run_id = _locked(uow, deployment_id)
    _check_approver(uow, deployment)
    if deployment.status != DeploymentStatus.WAITING:
        raise Conflict(f"deployment {deployment_id} is {deployment.status}, not waiting", rule="deployment-not-waiting")
    return deployment, run_id


def _decided(uow: UnitOfWork, deployment: models.Deployment, action: str, comment: str) -> Deployment:
    """Audit the decision and answer the deployment as it is now."""
    after = {"environment": deployment.environment, "version": deployment.version, "comment": comment}
    record_audit(uow, action, "deployment", deployment.id, after=after)
    return get_deployment(uow, deployment.id)


def _decide(uow: UnitOfWork, deployment: models.Deployment, decision: str, comment: str) -> None:
    uow.session.add(
        models.Approval(
            deployment_id=deployment.id,
            user_id=uow.actor.user_id,
            username=uow.actor.name,
            role=uow.actor.role,
            decision=decision,
            comment=comment,
            at=uow.clock.now(),
        )
    )
    uow.session.flush()


def rollback(
    uow: UnitOfWork, config: DeliveryConfig, service_key: str, environment: str, data: RollbackRequest
) -> RunSummary:
    """Deploy an earlier version again: a new run of that commit's deploy stage for the environment."""
    what = f"the deployments of {service_key}"
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what)
    service_id = catalog.service_id(uow, service_key)
    target = by_id(uow.session, models.Deployment, data.to_deployment)
    if target is None or target.service_id != service_id or target.environment != environment:
        raise NotFound(f"{service_key}/{environment} has no deployment {data.to_deployment}")
    if target.status != DeploymentStatus.SUCCEEDED:
        raise ValidationFailed.on("to_deployment", f"deployment {target.id} did not succeed ({target.status})")
    if target.run_id is None:
        raise ValidationFailed.on(
            "to_deployment", f"deployment {target.id} was recorded from {target.origin}: roll it back there"
        )
    current = _current(uow, service_id, environment)
    if current is not None and current.id == target.id:
        raise Conflict(f"{target.version} is what runs in {environment} already", rule="rollback-to-current")
    run = start_rollback(uow, config, target, current)
    record_audit(
        uow,
        "deployment.rollback",
        "pipeline_run",
        run.id,
        after={"service": service_key, "environment": environment, "to_version": target.version},
    )
    return _summary(run)


def _current(uow: UnitOfWork, service_id: int, environment: str) -> models.Deployment | None:
    return uow.session.scalar(
        select(models.Deployment)
        .where(
            models.Deployment.service_id == service_id,
            models.Deployment.environment == environment,
            models.Deployment.status == DeploymentStatus.SUCCEEDED,
        )
        .order_by(models.Deployment.finished_at.desc(), models.Deployment.id.desc())
        .limit(1)
    )


# --- reading ------------------------------------------------------------------------------------------


def get_deployment(uow: UnitOfWork, deployment_id: int) -> Deployment:
    require(uow.actor, Permission.READ)
    row = by_id(uow.session, models.Deployment, deployment_id)
    if row is None:
        raise NotFound(f"there is no deployment {deployment_id}")
    return _out(uow, row, detail=True)


def list_deployments(uow: UnitOfWork, filters: DeploymentFilter, page: PageRequest) -> Page[Deployment]:
    def item(row: models.Deployment) -> Deployment:
        return _out(uow, row)

    return newest_first(
        uow,
        models.Deployment,
        page,
        item,
        service=filters.service,
        environment=filters.environment,
        status=filters.status,
    )


def _out(uow: UnitOfWork, row: models.Deployment, *, detail: bool = False) -> Deployment:
    approvals = uow.session.scalars(
        select(models.Approval).where(models.Approval.deployment_id == row.id).order_by(models.Approval.id)
    )
    changes = list(
        uow.session.scalars(
            select(models.Change)
            .join(models.DeploymentChange, models.DeploymentChange.change_id == models.Change.id)
            .where(models.DeploymentChange.deployment_id == row.id)
            .order_by(models.Change.committed_at.desc())
        )
    )
    items: list[str] = []
    for change in changes:
        items += [k for k in change.item_keys if k not in items and not k.startswith("INC-")]
    caused = uow.session.scalars(select(models.Incident.key).where(models.Incident.caused_by_deployment_id == row.id))
    restored = uow.session.scalars(
        select(models.Incident.key).where(models.Incident.restored_by_deployment_id == row.id)
    )
    return Deployment.model_validate(row).model_copy(
        update={
            "approvals": [ApprovalOut.model_validate(a) for a in approvals],
            "changes": [ChangeOut.model_validate(c) for c in changes] if detail else [],
            "work_items": items,
            "incidents_caused": list(caused),
            "incidents_restored": list(restored),
        }
    )


# --- environment policy and view -----------------------------------------------------------------------


def set_environment_policy(
    uow: UnitOfWork, service_key: str, environment: str, data: EnvironmentPolicyUpdate
) -> EnvironmentPolicy:
    what = f"the delivery policy of {service_key}/{environment}"
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])
    catalog.get_environment(uow, service_key, environment)
    windows = [w.model_dump() for w in data.windows]
    problems = deploy_windows.problems(windows)
    if problems:
        raise ValidationFailed.on("windows", "; ".join(problems))
    service_id = catalog.service_id(uow, service_key)
    row = uow.session.scalar(
        select(models.EnvironmentPolicy).where(
            models.EnvironmentPolicy.service_id == service_id, models.EnvironmentPolicy.environment == environment
        )
    )
    before = {"required_approvals": row.required_approvals, "windows": row.windows} if row else None
    if row is None:
        row = models.EnvironmentPolicy(service_id=service_id, environment=environment, updated_at=uow.clock.now())
        uow.session.add(row)
    row.required_approvals = data.required_approvals
    row.windows = windows
    row.updated_at = uow.clock.now()
    uow.session.flush()
    record_audit(
        uow,
        "environment.delivery-policy",
        "environment",
        f"{service_key}/{environment}",
        before=before,
        after={"required_approvals": data.required_approvals, "windows": windows},
    )
    return get_environment_policy(uow, service_key, environment)


def get_environment_policy(uow: UnitOfWork, service_key: str, environment: str) -> EnvironmentPolicy:
    env = catalog.get_environment(uow, service_key, environment)
    row = uow.session.scalar(
        select(models.EnvironmentPolicy).where(
            models.EnvironmentPolicy.service_id == catalog.service_id(uow, service_key),
            models.EnvironmentPolicy.environment == environment,
        )
    )
    return EnvironmentPolicy(
        service=service_key,
        environment=environment,
        approval_roles=[str(r) for r in env.approval_roles],
        required_approvals=(row.required_approvals if row else 1) if env.approval_roles else 0,
        windows=list(row.windows) if row else [],
    )


def service_delivery(uow: UnitOfWork, service_key: str, *, recent: int = 10) -> ServiceDelivery:
    """What runs where: per environment in promotion order, the current version, waiting and recent deployments,
    open incidents."""
    require(uow.actor, Permission.READ)
    service_id = catalog.service_id(uow, service_key)
    environments = catalog.list_environments(uow, service_key)
    last = max((e.position for e in environments), default=0)
    states = []
    for env in environments:
        rows = uow.session.scalars(
            select(models.Deployment)
            .where(models.Deployment.service_id == service_id, models.Deployment.environment == env.name)
            .order_by(models.Deployment.id.desc())
            .limit(recent)
        ).all()
        current = _current(uow, service_id, env.name)
        incidents = uow.session.scalars(
            select(models.Incident).where(
                models.Incident.service_id == service_id,
                models.Incident.environment == env.name,
                models.Incident.status == IncidentStatus.OPEN,
            )
        )
        states.append(
            EnvironmentState(
                name=env.name,
                position=env.position,
                is_production=env.position == last,
                policy=get_environment_policy(uow, service_key, env.name),
                current=_out(uow, current) if current else None,
                waiting=[_out(uow, r) for r in rows if r.status == DeploymentStatus.WAITING],
                recent=[_out(uow, r) for r in rows],
                open_incidents=[incident_out(i) for i in incidents],
            )
        )
    return ServiceDelivery(service=service_key, environments=states)


def incident_out(row: models.Incident) -> Incident:
    return Incident.model_validate(row)


# --- traceability ----------------------------------------------------------------------------------------


def trace_item(uow: UnitOfWork, item_key: str) -> list[ChangeTrace]:
    """Changes naming a work item (`FEAT-12`) and where each went, with its lead time to production."""
    require(uow.actor, Permission.READ)
    changes = uow.session.scalars(
        select(models.Change)
        .join(models.ChangeItem, models.ChangeItem.change_id == models.Change.id)
        .where(models.ChangeItem.item_key == item_key.strip().upper())
        .order_by(models.Change.authored_at)
    ).all()
    return [_trace(uow, change) for change in changes]


def _trace(uow: UnitOfWork, change: models.Change) -> ChangeTrace:
    deployments = uow.session.scalars(
        select(models.Deployment)
        .join(models.DeploymentChange, models.DeploymentChange.deployment_id == models.Deployment.id)
        .where(models.DeploymentChange.change_id == change.id)
        .order_by(models.Deployment.id)
    ).all()
    production = [
        d.finished_at
        for d in deployments
        if d.is_production and d.status == DeploymentStatus.SUCCEEDED and d.finished_at is not None
    ]
    first = min(production) if production else None
    lead = (first - change.authored_at).total_seconds() if first else None
    service_key = deployments[0].service_key if deployments else ""
    if not service_key:
        run = uow.session.scalar(
            select(models.PipelineRun)
            .join(models.RunChange, models.RunChange.run_id == models.PipelineRun.id)
            .where(models.RunChange.change_id == change.id)
            .limit(1)
        )
        service_key = run.service_key if run else ""
    return ChangeTrace(
        service=service_key,
        change=ChangeOut.model_validate(change),
        deployments=[_out(uow, d) for d in deployments],
        first_production_deploy_at=first,
        lead_time_seconds=lead,
    )
