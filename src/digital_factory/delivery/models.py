"""Delivery tables (private to the domain). The pipeline state machine lives here, not in the executors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Base, Entity, ServiceRecord, ServiceRef, child_of

RunRef = Annotated[int, child_of("delivery_pipeline_run")]
ChangeRef = Annotated[int, child_of("delivery_change")]
DeploymentRef = Annotated[int, child_of("delivery_deployment")]

# Where a run, deployment or incident was recorded: by the factory itself, or from outside (a webhook).
FACTORY = "factory"


def _outside() -> UniqueConstraint:
    """An outside record is found again by its id at the origin (one per service and origin)."""
    return UniqueConstraint("service_id", "origin", "external_id")


class RecordedOutside:
    """Where the row was recorded (`FACTORY` or an outside origin) and, from outside, its id there."""

    origin: Mapped[str] = mapped_column(String(20), default=FACTORY, server_default=FACTORY)
    external_id: Mapped[str | None] = mapped_column(String(200))
    observed_at: Mapped[datetime | None]


class PipelineRun(ServiceRecord, RecordedOutside, Entity):
    __tablename__ = "delivery_pipeline_run"
    __table_args__ = (_outside(),)

    status: Mapped[str] = mapped_column(String(20), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(500))
    ref: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(100))
    commit_message: Mapped[str] = mapped_column(String(300), default="")
    triggered_by: Mapped[str] = mapped_column(String(100))
    triggered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    artifacts_from_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_pipeline_run.id", ondelete="SET NULL")
    )
    rollback_of_deployment_id: Mapped[int | None]
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class StageRun(Entity):
    __tablename__ = "delivery_stage_run"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    run_id: Mapped[RunRef]
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    environment: Mapped[str | None] = mapped_column(String(40))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class StepRun(Entity):
    __tablename__ = "delivery_step_run"
    __table_args__ = (Index("ix_delivery_step_run_status_lease", "status", "lease_expires_at"),)

    run_id: Mapped[RunRef]
    stage_id: Mapped[int] = child_of("delivery_stage_run")
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    command: Mapped[str] = mapped_column(Text)
    timeout_seconds: Mapped[int]
    network: Mapped[bool] = mapped_column(default=False)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    artifacts: Mapped[list[str]] = mapped_column(JSON, default=list)
    secrets: Mapped[list[str]] = mapped_column(JSON, default=list)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempt: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(120))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    lease_expires_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    exit_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)


class StepLog(Entity):
    """One chunk of a step attempt's output, already masked."""

    __tablename__ = "delivery_step_log"
    __table_args__ = (UniqueConstraint("step_id", "attempt", "seq"),)

    step_id: Mapped[int] = child_of("delivery_step_run")
    attempt: Mapped[int]
    seq: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class Artifact(Entity):
    """A passed step's declared paths as one gzip'd tar, restored into later steps' workspaces."""

    __tablename__ = "delivery_artifact"

    run_id: Mapped[RunRef]
    step_id: Mapped[int] = mapped_column(ForeignKey("delivery_step_run.id", ondelete="CASCADE"), unique=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Deployment(ServiceRecord, RecordedOutside, Entity):
    __tablename__ = "delivery_deployment"
    __table_args__ = (
        Index("ix_delivery_deployment_service_environment", "service_id", "environment"),
        # DORA reads: a period's production deployments, of every service or of one
        Index("ix_delivery_deployment_production_finished", "is_production", "finished_at"),
        Index("ix_delivery_deployment_service_production", "service_id", "is_production", "finished_at"),
        _outside(),
    )

    environment: Mapped[str] = mapped_column(String(40))
    is_production: Mapped[bool] = mapped_column(default=False)
    # empty for deployments recorded from outside: they have no run, stage or approvals here
    run_id: Mapped[int | None] = child_of("delivery_pipeline_run")
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_stage_run.id", ondelete="CASCADE"), unique=True)
    version: Mapped[str] = mapped_column(String(100))
    commit_sha: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    approval_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_approvals: Mapped[int] = mapped_column(default=0)
    triggered_by: Mapped[str] = mapped_column(String(100))
    triggered_by_user_id: Mapped[int | None]
    is_rollback: Mapped[bool] = mapped_column(default=False)
    rollback_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_deployment.id", ondelete="SET NULL"), index=True
    )
    is_rework: Mapped[bool] = mapped_column(default=False)
    gate_note: Mapped[str | None] = mapped_column(String(300))
    requested_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Approval(Entity):
    __tablename__ = "delivery_approval"
    __table_args__ = (UniqueConstraint("deployment_id", "user_id"),)

    deployment_id: Mapped[DeploymentRef]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("accounts_user.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class EnvironmentPolicy(Entity):
    """What delivery adds to a catalog environment's approval roles: how many approvals, and when."""

    __tablename__ = "delivery_environment_policy"
    __table_args__ = (UniqueConstraint("service_id", "environment"),)

    service_id: Mapped[ServiceRef]
    environment: Mapped[str] = mapped_column(String(40))
    required_approvals: Mapped[int] = mapped_column(default=1)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class Change(Entity):
    """A commit of a service, with the work item keys its message names and the times lead time needs."""

    __tablename__ = "delivery_change"
    __table_args__ = (
        UniqueConstraint("service_id", "sha"),
        # DORA lead time: the changes first deployed to production in a period (covering: no table reads)
        Index("ix_delivery_change_first_production", "first_production_at", "service_id", "lead_seconds"),
        Index("ix_delivery_change_service_first_production", "service_id", "first_production_at", "lead_seconds"),
    )

    service_id: Mapped[ServiceRef]
    sha: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    author_email: Mapped[str] = mapped_column(String(200))
    authored_at: Mapped[datetime]
    committed_at: Mapped[datetime]
    merged_at: Mapped[datetime | None]
    subject: Mapped[str] = mapped_column(String(300))
    item_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen_at: Mapped[datetime]
    # Derived, kept in the transaction that finishes a production deployment carrying the change (or changes
    # its commit time): when it first reached production, and that minus committed_at (DORA lead time).
    first_production_at: Mapped[datetime | None]
    lead_seconds: Mapped[float | None]


class ChangeItem(Entity):
    __tablename__ = "delivery_change_item"
    __table_args__ = (UniqueConstraint("change_id", "item_key"),)

    change_id: Mapped[ChangeRef]
    item_key: Mapped[str] = mapped_column(String(24), index=True)


class RunChange(Entity):
    """The commits a run's commit contains (newest first, bounded): what its deployments may carry."""

    __tablename__ = "delivery_run_change"
    __table_args__ = (UniqueConstraint("run_id", "change_id"),)

    run_id: Mapped[RunRef]
    change_id: Mapped[ChangeRef]


class DeploymentChange(Entity):
    __tablename__ = "delivery_deployment_change"
    __table_args__ = (UniqueConstraint("deployment_id", "change_id"),)

    deployment_id: Mapped[DeploymentRef]
    change_id: Mapped[ChangeRef]


class Incident(ServiceRecord, RecordedOutside, Entity):
    __tablename__ = "delivery_incident"
    __table_args__ = (_outside(),)

    key: Mapped[str] = mapped_column(String(24), unique=True)
    environment: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    detected_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)
    caused_by_deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_deployment.id", ondelete="SET NULL"), index=True
    )
    cause_link: Mapped[str | None] = mapped_column(String(20))
    restored_by_deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_deployment.id", ondelete="SET NULL")
    )
    restore_link: Mapped[str | None] = mapped_column(String(20))


class Secret(Entity):
    """A service's secret, encrypted with a key derived from the server's secret key. Never read back out."""

    __tablename__ = "delivery_secret"
    __table_args__ = (UniqueConstraint("service_id", "name", "environment"),)

    service_id: Mapped[ServiceRef]
    name: Mapped[str] = mapped_column(String(128))
    environment: Mapped[str] = mapped_column(String(40), default="")
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))


class ServiceEgress(Base):
    """A service's delivery policy for the network: may its steps that ask for it reach the internet?"""

    __tablename__ = "delivery_service_egress"

    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"), primary_key=True)
    granted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]
