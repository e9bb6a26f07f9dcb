"""The pipeline state machine, kept in the store. Executors only run "step X of run Y"; everything else is here.

Every transition happens in a unit of work with the run row locked (`FOR UPDATE` on PostgreSQL; SQLite's
write transactions are serial anyway): creating a run, claiming and finishing a step, approving a gate,
cancelling, retrying, reaping. Claiming is one conditional UPDATE (`WHERE status = 'queued' AND attempt =
:attempt`), so a message delivered twice runs the step once. A running step holds a lease its runner renews;
the reaper re-queues (or fails) steps whose lease lapsed, so a lost worker never leaves a run "running".
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update

from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.delivery import models, production_marks
from digital_factory.delivery import windows as deploy_windows
from digital_factory.delivery.events import DeploymentFinished, RunFinished, StepCancelRequested, StepQueued, event_of
from digital_factory.delivery.pipeline_file import Pipeline
from digital_factory.delivery.schemas import TERMINAL, DeploymentStatus, Status
from digital_factory.delivery.traceability import INCIDENT_PREFIX
from digital_factory.store.uow import UnitOfWork

FAILURES = (Status.FAILED, Status.TIMED_OUT, Status.CANCELLED)
_ACTIVE_STEP = (Status.PENDING, Status.QUEUED, Status.RUNNING)


def lock_run(uow: UnitOfWork, run_id: int) -> models.PipelineRun:
    return uow.session.execute(
        select(models.PipelineRun)
        .where(models.PipelineRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def stages_of(uow: UnitOfWork, run_id: int) -> list[models.StageRun]:
    return list(
        uow.session.scalars(
            select(models.StageRun).where(models.StageRun.run_id == run_id).order_by(models.StageRun.position)
        )
    )


def steps_of(uow: UnitOfWork, run_id: int) -> list[models.StepRun]:
    return list(
        uow.session.scalars(
            select(models.StepRun).where(models.StepRun.run_id == run_id).order_by(models.StepRun.position)
        )
    )


def build(uow: UnitOfWork, run: models.PipelineRun, pipeline: Pipeline, *, only_environment: str | None = None) -> None:
    """Stage and step rows for `pipeline` (a rollback keeps only the deploy stage of its environment)."""
    position = 0
    for stage_position, stage in enumerate(pipeline.stages):
        if only_environment is not None and stage.environment != only_environment:
            continue
        stage_row = models.StageRun(
            run_id=run.id,
            name=stage.name,
            position=stage_position,
            status=Status.PENDING,
            environment=stage.environment,
            variables={**pipeline.variables, **stage.variables, "__branches": list(stage.branches)},
        )
        uow.session.add(stage_row)
        uow.session.flush()
        for step in stage.steps:
            position += 1
            uow.session.add(
                models.StepRun(
                    run_id=run.id,
                    stage_id=stage_row.id,
                    name=step.name,
                    position=position,
                    status=Status.PENDING,
                    command=step.run,
                    timeout_seconds=step.timeout_seconds,
                    network=step.network,
                    needs=list(step.needs),
                    artifacts=list(step.artifacts),
                    secrets=list(step.secrets),
                    variables=dict(step.variables),
                    attempt=0,
                )
            )
    uow.session.flush()


# --- advancing ------------------------------------------------------------------------------------


def advance(uow: UnitOfWork, run: models.PipelineRun) -> None:
    """Move the run as far as its state allows: open stages, pass gates, queue ready steps, finish."""
    if Status(run.status).finished:
        return
    stages = stages_of(uow, run.id)
    steps = steps_of(uow, run.id)
    for stage in stages:
        status = Status(stage.status)
        if status in (Status.PASSED, Status.SKIPPED):
            continue
        if status in FAILURES:
            _finish_run(uow, run, status, stages, steps)
            return
        if status == Status.PENDING:
            status = _open_stage(uow, run, stage, steps)
            if status == Status.SKIPPED:
                continue
        if status == Status.WAITING and not _pass_gate(uow, run, stage):
            run.status = Status.WAITING
            return
        outcome = _progress(uow, run, stage, [s for s in steps if s.stage_id == stage.id])
        if outcome is None:
            _mark_running(uow, run)
            return
        _close_stage(uow, run, stage, outcome)
        if outcome != Status.PASSED:
            _finish_run(uow, run, outcome, stages, steps)
            return
    _finish_run(uow, run, Status.PASSED, stages, steps)


def _mark_running(uow: UnitOfWork, run: models.PipelineRun) -> None:
    run.status = Status.RUNNING
    if run.started_at is None:
        run.started_at = uow.clock.now()


def _open_stage(
    uow: UnitOfWork, run: models.PipelineRun, stage: models.StageRun, steps: list[models.StepRun]
) -> Status:
    now = uow.clock.now()
    branches = list(stage.variables.get("__branches", []))
    if branches and not (run.ref and any(fnmatch.fnmatchcase(_branch(run.ref), b) for b in branches)):
        stage.status = Status.SKIPPED
        stage.finished_at = now
        for step in steps:
            if step.stage_id == stage.id:
                step.status = Status.SKIPPED
        return Status.SKIPPED
    stage.started_at = now
    if stage.environment is None:
        stage.status = Status.RUNNING
        return Status.RUNNING
    deployment = _create_deployment(uow, run, stage)
    stage.status = Status.WAITING
    if deployment.status == DeploymentStatus.WAITING and not _pass_gate(uow, run, stage):
        return Status.WAITING
    return Status.RUNNING


def _branch(ref: str) -> str:
    return ref.removeprefix("refs/heads/")


def _create_deployment(uow: UnitOfWork, run: models.PipelineRun, stage: models.StageRun) -> models.Deployment:
    assert stage.environment is not None
    environments = catalog.list_environments(uow, run.service_key)
    environment = next(e for e in environments if e.name == stage.environment)
    policy = uow.session.scalar(
        select(models.EnvironmentPolicy).where(
            models.EnvironmentPolicy.service_id == run.service_id,
            models.EnvironmentPolicy.environment == stage.environment,
        )
    )
    roles = [str(r) for r in environment.approval_roles]
    earlier = deployment_of(uow, stage.id)
    if earlier is not None:  # the stage runs again after a retry: a fresh request, earlier decisions void
        uow.session.execute(delete(models.Approval).where(models.Approval.deployment_id == earlier.id))
        earlier.status = DeploymentStatus.WAITING
        earlier.requested_at = uow.clock.now()
        earlier.approved_at = earlier.started_at = earlier.finished_at = None
        return earlier
    deployment = models.Deployment(
        service_id=run.service_id,
        service_key=run.service_key,
        environment=stage.environment,
        is_production=environment.position == max(e.position for e in environments),
        run_id=run.id,
        stage_id=stage.id,
        version=run.version,
        commit_sha=run.commit_sha,
        status=DeploymentStatus.WAITING,
        approval_roles=roles,
        required_approvals=(policy.required_approvals if policy else 1) if roles else 0,
        triggered_by=run.triggered_by,
        triggered_by_user_id=run.triggered_by_user_id,
        is_rollback=run.rollback_of_deployment_id is not None,
        rollback_of_id=run.rollback_of_deployment_id,
        is_rework=run.rollback_of_deployment_id is not None,
        requested_at=uow.clock.now(),
    )
    uow.session.add(deployment)
    uow.session.flush()
    link_changes(uow, deployment)
    return deployment


def deployment_of(uow: UnitOfWork, stage_id: int) -> models.Deployment | None:
    return uow.session.scalar(select(models.Deployment).where(models.Deployment.stage_id == stage_id))


def _pass_gate(uow: UnitOfWork, run: models.PipelineRun, stage: models.StageRun) -> bool:
    """Open a waiting deploy stage when its approvals are in and its deploy window is open."""
    deployment = deployment_of(uow, stage.id)
    assert deployment is not None
    if deployment.status != DeploymentStatus.WAITING:
        return deployment.status == DeploymentStatus.RUNNING
    now = uow.clock.now()
    approvals = approval_count(uow, deployment.id)
    if approvals < deployment.required_approvals:
        deployment.gate_note = (
            f"waits for {deployment.required_approvals - approvals} approval(s) by "
            f"{' or '.join(deployment.approval_roles)}"
        )
        return False
    if deployment.approved_at is None:
        deployment.approved_at = now
    policy = uow.session.scalar(
        select(models.EnvironmentPolicy).where(
            models.EnvironmentPolicy.service_id == run.service_id,
            models.EnvironmentPolicy.environment == deployment.environment,
        )
    )
    windows = list(policy.windows) if policy else []
    if not deploy_windows.is_open(now, windows):
        deployment.gate_note = f"approved; waits for the deploy window ({deploy_windows.describe(windows)})"
        return False
    deployment.gate_note = None
    deployment.status = DeploymentStatus.RUNNING
    deployment.started_at = now
    stage.status = Status.RUNNING
    return True


def approval_count(uow: UnitOfWork, deployment_id: int) -> int:
    return (
        uow.session.scalar(
            select(func.count())
            .select_from(models.Approval)
            .where(models.Approval.deployment_id == deployment_id, models.Approval.decision == "approved")
        )
        or 0
    )


def _progress(
    uow: UnitOfWork, run: models.PipelineRun, stage: models.StageRun, steps: list[models.StepRun]
) -> Status | None:
    """Queue the stage's ready steps, skip those whose needs failed; its outcome once every step is done."""
    by_name = {step.name: step for step in steps}
    changed = True
    while changed:
        changed = False
        for step in steps:
            if step.status != Status.PENDING:
                continue
            needs = [Status(by_name[n].status) for n in step.needs if n in by_name]
            if any(s in (*FAILURES, Status.SKIPPED) for s in needs):
                step.status = Status.SKIPPED
                changed = True
            elif all(s == Status.PASSED for s in needs):
                queue_step(uow, run, step)
                changed = True
    statuses = {Status(step.status) for step in steps}
    if statuses & set(_ACTIVE_STEP):
        return None
    for outcome in (Status.FAILED, Status.TIMED_OUT, Status.CANCELLED):
        if outcome in statuses:
            return outcome
    return Status.PASSED


def queue_step(uow: UnitOfWork, run: models.PipelineRun, step: models.StepRun) -> None:
    step.status = Status.QUEUED
    step.attempt += 1
    step.worker = None
    step.cancel_requested = False
    step.lease_expires_at = None
    step.queued_at = uow.clock.now()
    step.started_at = None
    step.finished_at = None
    step.exit_code = None
    step.error = None
    uow.emit(StepQueued(run_id=run.id, step_id=step.id, attempt=step.attempt, timeout_seconds=step.timeout_seconds))


def _close_stage(uow: UnitOfWork, run: models.PipelineRun, stage: models.StageRun, outcome: Status) -> None:
    stage.status = outcome
    stage.finished_at = uow.clock.now()
    if stage.environment is None:
        return
    deployment = deployment_of(uow, stage.id)
    if deployment is None:
        return
    if outcome == Status.PASSED:
        _finish_deployment(uow, deployment, DeploymentStatus.SUCCEEDED)
    elif outcome == Status.CANCELLED:
        _finish_deployment(uow, deployment, DeploymentStatus.CANCELLED)
    else:
        _finish_deployment(uow, deployment, DeploymentStatus.FAILED)


def _finish_deployment(uow: UnitOfWork, deployment: models.Deployment, status: DeploymentStatus) -> None:
    deployment.status = status
    deployment.finished_at = uow.clock.now()
    if status == DeploymentStatus.SUCCEEDED:
        link_changes(uow, deployment)
        link_incident_fixes(uow, deployment)
    production_marks.mark_deployment(uow, deployment)
    if status in (DeploymentStatus.SUCCEEDED, DeploymentStatus.FAILED):
        uow.emit(deployment_finished(deployment))


def deployment_finished(deployment: models.Deployment) -> DeploymentFinished:
    """The event of a deployment that ended (succeeded or failed), for insights."""
    assert deployment.finished_at is not None
    return event_of(DeploymentFinished, deployment, deployment_id=deployment.id)


def _finish_run(
    uow: UnitOfWork,
    run: models.PipelineRun,
    status: Status,
    stages: list[models.StageRun],
    steps: list[models.StepRun],
) -> None:
    """End the run; what never started is skipped (or cancelled, when the run was cancelled)."""
    now = uow.clock.now()
    leftover = Status.CANCELLED if status == Status.CANCELLED else Status.SKIPPED
    for stage in stages:
        if Status(stage.status) in (Status.PENDING, Status.WAITING, Status.RUNNING):
            stage.status = leftover
            stage.finished_at = now
            deployment = deployment_of(uow, stage.id)
            if deployment is not None and deployment.status in (DeploymentStatus.WAITING, DeploymentStatus.RUNNING):
                _finish_deployment(uow, deployment, DeploymentStatus.CANCELLED)
    for step in steps:
        if step.status in (Status.PENDING, Status.QUEUED):
            step.status = leftover
        elif step.status == Status.RUNNING:
            step.cancel_requested = True
            uow.emit(StepCancelRequested(run_id=run.id, step_id=step.id))
    run.status = status
    run.finished_at = now
    if run.started_at is None:
        run.started_at = now
    uow.emit(RunFinished(run_id=run.id, service_key=run.service_key, status=status, finished_at=now))


def cancel(uow: UnitOfWork, run: models.PipelineRun, reason: str) -> None:
    if Status(run.status).finished:
        return
    run.error = reason
    _finish_run(uow, run, Status.CANCELLED, stages_of(uow, run.id), steps_of(uow, run.id))


# --- changes and incidents --------------------------------------------------------------------------


def link_changes(uow: UnitOfWork, deployment: models.Deployment) -> None:
    """The run's commits not yet carried by a succeeded deployment to the same environment."""
    deployed = (
        select(models.DeploymentChange.change_id)
        .join(models.Deployment, models.Deployment.id == models.DeploymentChange.deployment_id)
        .where(
            models.Deployment.service_id == deployment.service_id,
            models.Deployment.environment == deployment.environment,
            models.Deployment.status == DeploymentStatus.SUCCEEDED,
            models.Deployment.id != deployment.id,
        )
    )
    change_ids = uow.session.scalars(
        select(models.RunChange.change_id).where(
            models.RunChange.run_id == deployment.run_id, models.RunChange.change_id.not_in(deployed)
        )
    ).all()
    existing = set(
        uow.session.scalars(
            select(models.DeploymentChange.change_id).where(models.DeploymentChange.deployment_id == deployment.id)
        )
    )
    for change_id in set(change_ids) - existing:
        uow.session.add(models.DeploymentChange(deployment_id=deployment.id, change_id=change_id))
    uow.session.flush()


def link_incident_fixes(uow: UnitOfWork, deployment: models.Deployment) -> None:
    """A deployment that fixes an incident of its environment is rework: its changes name the incident
    (`INC-7`), or it is a rollback while the incident is open. It becomes the incident's restoring deployment."""
    keys: set[str] = set()
    rows = uow.session.scalars(
        select(models.Change.item_keys)
        .join(models.DeploymentChange, models.DeploymentChange.change_id == models.Change.id)
        .where(models.DeploymentChange.deployment_id == deployment.id)
    )
    for item_keys in rows:
        keys |= {k for k in item_keys if k.startswith(INCIDENT_PREFIX + "-")}
    query = select(models.Incident).where(
        models.Incident.service_id == deployment.service_id,
        models.Incident.environment == deployment.environment,
        models.Incident.restored_by_deployment_id.is_(None),
    )
    for incident in uow.session.scalars(query):
        by_commit = incident.key in keys
        by_rollback = deployment.is_rollback and incident.status == "open"
        if by_commit or by_rollback:
            deployment.is_rework = True
            incident.restored_by_deployment_id = deployment.id
            incident.restore_link = "commit" if by_commit else "rollback"


# --- executor protocol: claim, heartbeat, finish, reap ------------------------------------------------


def claim(uow: UnitOfWork, step_id: int, attempt: int, worker: str, lease: timedelta) -> bool:
    now = uow.clock.now()
    running = {"status": Status.RUNNING, "worker": worker, "started_at": now, "lease_expires_at": now + lease}
    return _update_attempt(uow, step_id, attempt, [models.StepRun.status == Status.QUEUED], **running)


def heartbeat(uow: UnitOfWork, step_id: int, attempt: int, worker: str, lease: timedelta) -> tuple[bool, bool]:
    """Renew the lease; returns (still ours, cancel requested)."""
    ours = [models.StepRun.worker == worker, models.StepRun.status == Status.RUNNING]
    if not _update_attempt(uow, step_id, attempt, ours, lease_expires_at=uow.clock.now() + lease):
        return False, True
    cancel_requested = uow.session.scalar(select(models.StepRun.cancel_requested).where(models.StepRun.id == step_id))
    return True, bool(cancel_requested)


def finish(
    uow: UnitOfWork,
    step_id: int,
    attempt: int,
    worker: str,
    status: Status,
    *,
    exit_code: int | None,
    error: str | None,
) -> bool:
    """Record a step's outcome (only if this worker still holds this attempt) and advance its run."""
    locked = _locked_step(uow, step_id)
    if locked is None:
        return False
    run, step = locked
    if step.status != Status.RUNNING or step.attempt != attempt or step.worker != worker:
        return False
    step.status = status
    step.exit_code = exit_code
    step.error = error
    step.finished_at = uow.clock.now()
    step.lease_expires_at = None
    advance(uow, run)
    return True


def run_finished(uow: UnitOfWork, run_id: int) -> bool:
    """Whether the run has ended (its workers may drop what they kept for it)."""
    run = uow.session.get(models.PipelineRun, run_id)
    return run is None or Status(run.status).finished


def _update_attempt(
    uow: UnitOfWork, step_id: int, attempt: int, only_if: list[ColumnElement[bool]], **values: Any
) -> bool:
    """Change one attempt of a step in one statement, if it still matches `only_if`; whether it did."""
    result = uow.session.execute(
        update(models.StepRun)
        .where(models.StepRun.id == step_id, models.StepRun.attempt == attempt, *only_if)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _locked_step(uow: UnitOfWork, step_id: int) -> tuple[models.PipelineRun, models.StepRun] | None:
    """The step's run, locked (its lock orders the changes to its steps), and the step as it is now."""
    run_id = uow.session.scalar(select(models.StepRun.run_id).where(models.StepRun.id == step_id))
    if run_id is None:
        return None
    run = lock_run(uow, run_id)
    step = uow.session.get(models.StepRun, step_id)
    assert step is not None
    uow.session.refresh(step)
    return run, step


def reap(uow: UnitOfWork, *, max_attempts: int, redispatch_after: timedelta) -> int:
    """Re-queue (or fail) running steps whose lease lapsed; re-announce queued steps nobody claimed."""
    now = uow.clock.now()
    lapsed = uow.session.scalars(
        select(models.StepRun.id).where(models.StepRun.status == Status.RUNNING, models.StepRun.lease_expires_at < now)
    ).all()
    for step_id in lapsed:
        _reap_step(uow, step_id, now, max_attempts)
    stale = uow.session.scalars(
        select(models.StepRun).where(
            models.StepRun.status == Status.QUEUED, models.StepRun.queued_at < now - redispatch_after
        )
    ).all()
    for step in stale:
        step.queued_at = now
        uow.emit(
            StepQueued(run_id=step.run_id, step_id=step.id, attempt=step.attempt, timeout_seconds=step.timeout_seconds)
        )
    _open_waiting_gates(uow)
    return len(lapsed) + len(stale)


def _reap_step(uow: UnitOfWork, step_id: int, now: datetime, max_attempts: int) -> None:
    locked = _locked_step(uow, step_id)
    assert locked is not None
    run, step = locked
    if step.status != Status.RUNNING or step.lease_expires_at is None or as_utc(step.lease_expires_at) >= now:
        return  # renewed or finished meanwhile
    lost = f"worker {step.worker} stopped renewing its lease (expired {as_utc(step.lease_expires_at):%H:%M:%S} UTC)"
    if step.cancel_requested or Status(run.status).finished:
        step.status = Status.CANCELLED
        step.error = f"{lost} while the step was being cancelled"
    elif step.attempt < max_attempts:
        append_log(
            uow, step.id, step.attempt, f"\n[factory] {lost}; the step is queued again (attempt {step.attempt + 1})\n"
        )
        queue_step(uow, run, step)
        return
    else:
        step.status = Status.FAILED
        step.error = f"{lost}; no attempts left ({step.attempt} of {max_attempts})"
        append_log(uow, step.id, step.attempt, f"\n[factory] {step.error}\n")
    step.finished_at = now
    step.lease_expires_at = None
    advance(uow, run)


def _open_waiting_gates(uow: UnitOfWork) -> None:
    """Deploy windows open with time: re-evaluate runs waiting at a gate whose approvals are in."""
    run_ids = uow.session.scalars(
        select(models.Deployment.run_id).where(
            models.Deployment.status == DeploymentStatus.WAITING,
            models.Deployment.approved_at.is_not(None),
            models.Deployment.run_id.is_not(None),
        )
    ).all()
    for run_id in run_ids:
        if run_id is not None:
            advance(uow, lock_run(uow, run_id))


def append_log(uow: UnitOfWork, step_id: int, attempt: int, text: str) -> None:
    last = uow.session.scalar(
        select(func.max(models.StepLog.seq)).where(models.StepLog.step_id == step_id, models.StepLog.attempt == attempt)
    )
    uow.session.add(
        models.StepLog(step_id=step_id, attempt=attempt, seq=(last or 0) + 1, text=text, at=uow.clock.now())
    )


def retry(uow: UnitOfWork, run: models.PipelineRun, step: models.StepRun) -> None:
    """Run a failed step again: it and what its failure skipped become pending; the run resumes."""
    stages = stages_of(uow, run.id)
    steps = steps_of(uow, run.id)
    stage = next(s for s in stages if s.id == step.stage_id)
    for other in steps:
        if other.stage_id == stage.id and other.status == Status.SKIPPED:
            other.status = Status.PENDING
        stage_position = next(s.position for s in stages if s.id == other.stage_id)
        if stage_position > stage.position and other.status in (Status.SKIPPED, Status.CANCELLED):
            other.status = Status.PENDING
    for later in stages:
        if later.position > stage.position and later.status in (Status.SKIPPED, Status.CANCELLED):
            later.status = Status.PENDING
            later.started_at = later.finished_at = None
    stage.status = Status.RUNNING
    stage.finished_at = None
    deployment = deployment_of(uow, stage.id)
    if deployment is not None:
        deployment.status = DeploymentStatus.RUNNING
        deployment.finished_at = None
    queue_step(uow, run, step)
    run.status = Status.RUNNING
    run.finished_at = None
    run.error = None
    advance(uow, run)


def is_terminal(status: str) -> bool:
    return Status(status) in TERMINAL
