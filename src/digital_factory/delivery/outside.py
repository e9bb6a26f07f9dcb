"""Delivery records from outside: changes, runs, deployments and incidents that GitHub, GitLab or a CDEvents
producer reported (the integrations layer calls these after it checked the webhook's signature).

Idempotent on (service, origin, external id): the same report twice changes nothing. Never backwards: each
state has a rank (a run: queued < running < finished; a deployment: requested/waiting < running <
succeeded/failed/cancelled) and a report is applied only when its rank is higher than the record's, or equal
and newer by the reporter's own clock (`at`, kept as `observed_at`). So a late "in progress" after
"success" is ignored, and of two final reports the later one by event time wins, whatever order they came in.
Outside deployments have no run, stage or approvals here; they are linked to the change of their commit when
that change is known.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.delivery import models, orchestration, production_marks
from digital_factory.delivery.change_rows import new_change
from digital_factory.delivery.events import IncidentOpened, IncidentResolved, event_of
from digital_factory.delivery.incidents import _cause
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    IncidentCreate,
    IncidentStatus,
    OutsideChange,
    OutsideDeployment,
    OutsideIncident,
    OutsideResult,
    OutsideRun,
    OutsideRunStatus,
    Severity,
    Status,
    Trigger,
)
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork

_T = TypeVar("_T", models.PipelineRun, models.Deployment, models.Incident)
_V = TypeVar("_V")
_RUN_RANK = {OutsideRunStatus.QUEUED: 0, OutsideRunStatus.RUNNING: 1, OutsideRunStatus.FINISHED: 2}
_RUN_STATUS_RANK = {Status.QUEUED: 0, Status.RUNNING: 1}  # every other run status is final (rank 2)
_DEPLOYMENT_RANK = {DeploymentStatus.REQUESTED: 0, DeploymentStatus.WAITING: 0, DeploymentStatus.RUNNING: 1}
_FINAL_OUTCOMES = (Status.PASSED, Status.FAILED, Status.CANCELLED)
MAX_SWEPT = 1000  # earlier commits one outside deployment may carry (as the bounded commit list of a run here)


def _require_owner(uow: UnitOfWork, service_key: str) -> int:
    what = f"the delivery records of {service_key}"
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])
    return catalog.service_id(uow, service_key)


def _newer(rank: int, at: datetime, old_rank: int, old_at: datetime | None) -> bool:
    """Whether a report (rank, at) moves a record forward from (old_rank, old_at)."""
    return rank > old_rank or (rank == old_rank and (old_at is None or as_utc(at) > as_utc(old_at)))


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(x for x in (a, b) if x is not None) if a or b else None


def _outside_row(uow: UnitOfWork, table: type[_T], service_id: int, origin: str, external_id: str) -> _T | None:
    return uow.session.scalar(
        select(table).where(table.service_id == service_id, table.origin == origin, table.external_id == external_id)
    )


# --- changes ---------------------------------------------------------------------------------------------


def record_change(uow: UnitOfWork, service_key: str, data: OutsideChange) -> OutsideResult:
    """A commit of the service: created once per sha; commit data fills in a first sighting; merged keeps
    the earliest time reported."""
    service_id = _require_owner(uow, service_key)
    row = uow.session.scalar(
        select(models.Change).where(models.Change.service_id == service_id, models.Change.sha == data.sha)
    )
    if row is None:
        _link_deployments(uow, _new_change(uow, service_id, data))
        return OutsideResult(kind="change", ref=data.sha, changed=True)
    before = (row.authored_at, row.committed_at, row.merged_at, row.author_name)
    if data.authoritative:
        row.authored_at, row.committed_at = as_utc(data.authored_at), as_utc(data.committed_at)
        row.author_name, row.author_email = data.author_name or row.author_name, data.author_email or row.author_email
    row.merged_at = _earliest(row.merged_at, data.merged_at)
    uow.session.flush()
    if row.first_production_at is not None:  # a corrected commit time moves its lead time
        production_marks.refresh(uow, [row.id])
    changed = before != (row.authored_at, row.committed_at, row.merged_at, row.author_name)
    return OutsideResult(kind="change", ref=data.sha, changed=changed)


def _new_change(uow: UnitOfWork, service_id: int, data: OutsideChange) -> models.Change:
    subject = data.message.split("\n", 1)[0][:300]
    row = new_change(uow, service_id, data, subject=subject, merged_at=data.merged_at, seen_at=uow.clock.now())
    uow.session.flush()
    return row


def _replaced(uow: UnitOfWork, row: models.Deployment) -> int | None:
    """What an outside rollback rolled back: the environment's latest succeeded deployment before it."""
    query = select(models.Deployment.id).where(models.Deployment.environment == row.environment)
    return _latest_succeeded_before(uow, row, query)


def _latest_succeeded_before(uow: UnitOfWork, row: models.Deployment, query: Select[_V]) -> _V | None:
    """What `query` reads of the latest deployment of the row's service that succeeded at or before it."""
    return uow.session.scalar(
        query.where(
            models.Deployment.service_id == row.service_id,
            models.Deployment.status == DeploymentStatus.SUCCEEDED,
            models.Deployment.finished_at <= row.finished_at,
            models.Deployment.id != row.id,
        )
        .order_by(models.Deployment.finished_at.desc(), models.Deployment.id.desc())
        .limit(1)
    )


def _link_merged_before(uow: UnitOfWork, row: models.Deployment) -> None:
    """A production deployment of commit X from outside also carries the service's merged commits (on the
    default branch: `merged_at` known) committed after the previous production deployment's commit and at or
    before X that no production deployment carried yet — the monotonic single-branch rule (the outside tool
    does not say which commits a deployment holds). The first production deployment seen carries only its
    own commit: the history before it is unknown, and sweeping it in would skew lead time. Unmerged branch
    commits (a squashed pull request's own commits) are never swept in."""
    head = _change_of(uow, row.service_id, row.commit_sha) if row.is_production else None
    since = _previous_head_time(uow, row) if head is not None else None
    if head is None or since is None:
        return
    carried = select(models.DeploymentChange.change_id).where(models.DeploymentChange.deployment_id == row.id)
    earlier = uow.session.scalars(
        select(models.Change.id)
        .where(
            models.Change.service_id == row.service_id,
            models.Change.first_production_at.is_(None),
            models.Change.merged_at.is_not(None),
            models.Change.committed_at > since,
            models.Change.committed_at <= head.committed_at,
            models.Change.id.not_in(carried),
        )
        .order_by(models.Change.committed_at.desc())
        .limit(MAX_SWEPT)
    ).all()
    for change_id in earlier:
        uow.session.add(models.DeploymentChange(deployment_id=row.id, change_id=change_id))
    uow.session.flush()


def _change_of(uow: UnitOfWork, service_id: int, sha: str) -> models.Change | None:
    if not sha:
        return None
    return uow.session.scalar(
        select(models.Change).where(models.Change.service_id == service_id, models.Change.sha == sha)
    )


def _previous_head_time(uow: UnitOfWork, row: models.Deployment) -> datetime | None:
    """The commit time of the previous succeeded production deployment's own commit (None: none known)."""
    query = (
        select(models.Change.committed_at)
        .join(models.Deployment, models.Deployment.commit_sha == models.Change.sha)
        .where(models.Change.service_id == row.service_id, models.Deployment.is_production.is_(True))
    )
    return _latest_succeeded_before(uow, row, query)


def _link_deployments(uow: UnitOfWork, change: models.Change) -> None:
    """A commit reported after the outside deployments of it: link them now (lead time counts it)."""
    deployments = uow.session.scalars(
        select(models.Deployment.id).where(
            models.Deployment.service_id == change.service_id,
            models.Deployment.commit_sha == change.sha,
            models.Deployment.run_id.is_(None),
        )
    ).all()
    for deployment_id in deployments:
        uow.session.add(models.DeploymentChange(deployment_id=deployment_id, change_id=change.id))
    if deployments:
        production_marks.refresh(uow, [change.id])


def _change_id(uow: UnitOfWork, service_id: int, sha: str) -> int | None:
    if not sha:
        return None
    return uow.session.scalar(
        select(models.Change.id).where(models.Change.service_id == service_id, models.Change.sha == sha)
    )


# --- runs ------------------------------------------------------------------------------------------------


def record_run(uow: UnitOfWork, service_key: str, data: OutsideRun) -> OutsideResult:
    """Create or move forward the run the outside CI reported."""
    service_id = _require_owner(uow, service_key)
    row = _outside_row(uow, models.PipelineRun, service_id, data.origin, data.external_id)
    status = _run_status(data)
    if row is None:
        row = models.PipelineRun(
            service_id=service_id,
            service_key=service_key,
            status=status,
            trigger=Trigger.WEBHOOK,
            source=f"{data.origin}: {data.name}"[:500],
            ref=data.ref,
            commit_sha=data.head_sha,
            version=data.head_sha[:12],
            commit_message=data.name[:300],
            triggered_by=str(data.origin),
            origin=data.origin,
            external_id=data.external_id,
            url=data.url,
            created_at=data.started_at or data.at,
        )
        uow.session.add(row)
        uow.session.flush()
        change = _change_id(uow, service_id, data.head_sha)
        if change is not None:
            uow.session.add(models.RunChange(run_id=row.id, change_id=change))
    elif not _newer(_RUN_RANK[data.status], data.at, _RUN_STATUS_RANK.get(Status(row.status), 2), row.observed_at):
        return OutsideResult(kind="run", ref=str(row.id), changed=False)
    row.status, row.observed_at = status, data.at
    row.started_at = _earliest(row.started_at, data.started_at)
    if data.status == OutsideRunStatus.FINISHED:
        row.finished_at = data.finished_at or data.at
    uow.session.flush()
    return OutsideResult(kind="run", ref=str(row.id), changed=True)


def _run_status(data: OutsideRun) -> Status:
    if data.status == OutsideRunStatus.FINISHED:
        return data.outcome if data.outcome in _FINAL_OUTCOMES else Status.FAILED
    return Status.RUNNING if data.status == OutsideRunStatus.RUNNING else Status.QUEUED


# --- deployments -----------------------------------------------------------------------------------------


def record_deployment(uow: UnitOfWork, service_key: str, data: OutsideDeployment) -> OutsideResult:
    """Create or move forward the deployment the outside tool reported; production is the catalog's last
    environment of the service (an environment the catalog does not know counts as not production)."""
    service_id = _require_owner(uow, service_key)
    row = _outside_row(uow, models.Deployment, service_id, data.origin, data.external_id)
    if row is None:
        row = _new_deployment(uow, service_key, service_id, data)
    elif not _newer(_deployment_rank(data.status), data.at, _deployment_rank(row.status), row.observed_at):
        return OutsideResult(kind="deployment", ref=str(row.id), changed=False)
    row.status, row.observed_at = data.status, data.at
    row.commit_sha = data.commit_sha or row.commit_sha
    row.version = data.version or row.version
    row.is_rollback = row.is_rollback or data.is_rollback
    if data.status != DeploymentStatus.REQUESTED:
        row.started_at = _earliest(row.started_at, data.started_at or data.at)
    if _deployment_rank(data.status) == 2:
        row.finished_at = data.finished_at or data.at
    uow.session.flush()
    _link_change(uow, row)
    if row.status == DeploymentStatus.SUCCEEDED:
        _link_merged_before(uow, row)
        # a rollback, or a commit naming an open incident (`Fixes INC-7`), restores it: rework, as for runs here
        row.is_rework = row.is_rework or row.is_rollback
        if row.is_rollback and row.rollback_of_id is None:
            row.rollback_of_id = _replaced(uow, row)
        orchestration.link_incident_fixes(uow, row)
    production_marks.mark_deployment(uow, row)
    if data.status in (DeploymentStatus.SUCCEEDED, DeploymentStatus.FAILED) and row.finished_at is not None:
        uow.emit(orchestration.deployment_finished(row))
    return OutsideResult(kind="deployment", ref=str(row.id), changed=True)


def _deployment_rank(status: str) -> int:
    return _DEPLOYMENT_RANK.get(DeploymentStatus(status), 2)


def _new_deployment(uow: UnitOfWork, service_key: str, service_id: int, data: OutsideDeployment) -> models.Deployment:
    environments = catalog.list_environments(uow, service_key)
    last = max((e.position for e in environments), default=None)
    known = {e.name: e.position for e in environments}
    row = models.Deployment(
        service_id=service_id,
        service_key=service_key,
        environment=data.environment,
        is_production=data.environment in known and known[data.environment] == last,
        run_id=None,
        stage_id=None,
        version=data.version or data.commit_sha[:12],
        commit_sha=data.commit_sha,
        status=data.status,
        approval_roles=[],
        required_approvals=0,
        triggered_by=str(data.origin),
        is_rollback=data.is_rollback,
        origin=data.origin,
        external_id=data.external_id,
        requested_at=data.at,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def _link_change(uow: UnitOfWork, row: models.Deployment) -> None:
    change = _change_id(uow, row.service_id, row.commit_sha)
    if change is None:
        return
    linked = uow.session.scalar(
        select(models.DeploymentChange.id).where(
            models.DeploymentChange.deployment_id == row.id, models.DeploymentChange.change_id == change
        )
    )
    if linked is None:
        uow.session.add(models.DeploymentChange(deployment_id=row.id, change_id=change))
        uow.session.flush()


# --- incidents -------------------------------------------------------------------------------------------


def record_incident(uow: UnitOfWork, service_key: str, data: OutsideIncident) -> OutsideResult:
    """Open an incident when it is first reported (detected or resolved); resolve it when a resolution at or
    after its detection arrives. Its cause: the deployment of the reported version to that environment, else
    the heuristic of manual incidents (the latest succeeded deployment there before detection)."""
    service_id = _require_owner(uow, service_key)
    row = _outside_row(uow, models.Incident, service_id, data.origin, data.external_id)
    if row is None:
        row = _new_incident(uow, service_key, service_id, data)
    elif not data.resolved and as_utc(data.at) < as_utc(row.detected_at):
        row.detected_at = data.at  # an earlier detection came late
    elif not data.resolved or row.status == IncidentStatus.RESOLVED or as_utc(data.at) < as_utc(row.detected_at):
        return OutsideResult(kind="incident", ref=row.key, changed=False)
    if data.resolved and row.status == IncidentStatus.OPEN:
        row.status, row.resolved_at, row.resolved_by = IncidentStatus.RESOLVED, data.at, str(data.origin)
        row.resolution = data.title or f"resolved in {data.origin}"
        uow.emit(event_of(IncidentResolved, row))
    row.observed_at = data.at
    uow.session.flush()
    return OutsideResult(kind="incident", ref=row.key, changed=True)


def _new_incident(uow: UnitOfWork, service_key: str, service_id: int, data: OutsideIncident) -> models.Incident:
    title = data.title or f"{data.origin} incident {data.external_id}"
    cause, link = _reported_cause(uow, service_id, data)
    if cause is None:
        probe = IncidentCreate(service=service_key, environment=data.environment, title=title[:300])
        cause, link = _cause(uow, service_id, probe, as_utc(data.at))
    row = models.Incident(
        key=next_key(uow.session, "INC"),
        service_id=service_id,
        service_key=service_key,
        environment=data.environment,
        title=title[:300],
        description="",
        severity=Severity.SEV3,
        status=IncidentStatus.OPEN,
        detected_at=data.at,
        opened_at=uow.clock.now(),
        opened_by=str(data.origin),
        caused_by_deployment_id=cause.id if cause else None,
        cause_link=link,
        origin=data.origin,
        external_id=data.external_id,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.emit(event_of(IncidentOpened, row))
    return row


def _reported_cause(
    uow: UnitOfWork, service_id: int, data: OutsideIncident
) -> tuple[models.Deployment | None, str | None]:
    if not data.caused_by_version:
        return None, None
    named = uow.session.scalar(
        select(models.Deployment)
        .where(
            models.Deployment.service_id == service_id,
            models.Deployment.environment == data.environment,
            models.Deployment.version == data.caused_by_version,
        )
        .order_by(models.Deployment.id.desc())
        .limit(1)
    )
    return (named, "reported") if named else (None, None)
