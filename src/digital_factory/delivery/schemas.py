"""Public DTOs of the delivery domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.delivery.masking import MIN_SECRET_LENGTH
from digital_factory.delivery.pipeline_file import SECRET_PATTERN


class Status(StrEnum):
    """States of runs, stages and steps. Terminal: passed, failed, cancelled, timed_out, skipped."""

    PENDING = "pending"  # not ready yet (needs, earlier stage)
    QUEUED = "queued"  # ready; an executor may claim it
    RUNNING = "running"
    WAITING = "waiting"  # a deploy stage waits for approval (or its deploy window)
    PASSED = "passed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.PASSED, Status.FAILED, Status.CANCELLED, Status.TIMED_OUT, Status.SKIPPED})


class Origin(StrEnum):
    """Who recorded a run, deployment or incident: the factory itself, or a webhook from outside."""

    FACTORY = "factory"
    GITHUB = "github"
    GITLAB = "gitlab"
    CDEVENTS = "cdevents"


class Trigger(StrEnum):
    PUSH = "push"
    MANUAL = "manual"
    ROLLBACK = "rollback"
    WEBHOOK = "webhook"


class DeploymentStatus(StrEnum):
    REQUESTED = "requested"  # recorded from outside: asked for, not started yet
    WAITING = "waiting"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class IncidentStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


# --- runs ------------------------------------------------------------------------------------------


class RunRequest(InputModel):
    ref: str | None = Field(None, min_length=1, max_length=255, description="Branch, tag or commit; default: HEAD.")


class LintRequest(InputModel):
    content: str = Field(max_length=256 * 1024, description="The text of a `.factory/pipeline.yml`.")
    service: str | None = Field(None, description="Also check deploy stages against this service's environments.")


class LintProblem(OutputModel):
    line: int
    path: str
    message: str


class LintResult(OutputModel):
    valid: bool
    problems: list[LintProblem]


class Step(OutputModel):
    id: int
    name: str
    status: Status
    command: str
    timeout_seconds: int
    network: bool
    needs: list[str]
    artifacts: list[str]
    secrets: list[str]
    attempt: int
    worker: str | None
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    error: str | None


class Stage(OutputModel):
    id: int
    name: str
    position: int
    status: Status
    environment: str | None
    deployment_id: int | None = None
    started_at: datetime | None
    finished_at: datetime | None
    steps: list[Step] = Field(default_factory=list)


class RunSummary(OutputModel):
    id: int
    service: str
    origin: Origin = Origin.FACTORY
    status: Status
    trigger: Trigger
    ref: str | None
    commit_sha: str
    version: str
    commit_message: str
    triggered_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class Run(RunSummary):
    source: str
    external_id: str | None = None
    url: str | None = None
    stages: list[Stage] = Field(default_factory=list)
    changes: list[ChangeOut] = Field(default_factory=list)


class RunFilter(InputModel):
    service: str | None = None
    status: Annotated[Status, FromJson] | None = None


class LogChunk(OutputModel):
    seq: int
    text: str
    at: datetime


class StepLogPage(OutputModel):
    step_id: int
    attempt: int
    chunks: list[LogChunk]
    cursor: int
    complete: bool
    status: Status


# --- deployments and approvals -----------------------------------------------------------------------


class DecisionRequest(InputModel):
    comment: str = Field(min_length=1, max_length=2000, description="Why: kept on the deployment record.")


class RollbackRequest(InputModel):
    to_deployment: int = Field(description="An earlier succeeded deployment of the same environment.")


class ApprovalOut(OutputModel):
    username: str
    role: str
    decision: str
    comment: str
    at: datetime


class ChangeOut(OutputModel):
    sha: str
    subject: str
    author_name: str
    authored_at: datetime
    committed_at: datetime
    merged_at: datetime | None
    item_keys: list[str]


class Deployment(OutputModel):
    id: int
    service: str
    environment: str
    is_production: bool
    origin: Origin = Origin.FACTORY
    external_id: str | None = None
    run_id: int | None
    version: str
    commit_sha: str
    status: DeploymentStatus
    approval_roles: list[str]
    required_approvals: int
    triggered_by: str
    is_rollback: bool
    rollback_of_id: int | None
    is_rework: bool
    gate_note: str | None
    requested_at: datetime
    approved_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    approvals: list[ApprovalOut] = Field(default_factory=list)
    changes: list[ChangeOut] = Field(default_factory=list)
    work_items: list[str] = Field(default_factory=list)
    incidents_caused: list[str] = Field(default_factory=list)
    incidents_restored: list[str] = Field(default_factory=list)


class DeploymentFilter(InputModel):
    service: str | None = None
    environment: str | None = None
    status: Annotated[DeploymentStatus, FromJson] | None = None


class DeployWindow(InputModel):
    """A weekly window (UTC) in which deployments to the environment may start."""

    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        min_length=1, description="Weekdays, 0 = Monday ... 6 = Sunday."
    )
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, UTC.")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$", description="HH:MM, UTC (after start).")


class EnvironmentPolicyUpdate(InputModel):
    required_approvals: int = Field(1, ge=1, le=10, description="Distinct approvers needed (when roles are set).")
    windows: list[DeployWindow] = Field(default_factory=list, max_length=20)


class EnvironmentPolicy(OutputModel):
    service: str
    environment: str
    approval_roles: list[str]
    required_approvals: int
    windows: list[dict[str, object]]

    @property
    def automatic(self) -> bool:
        return not self.approval_roles


class EgressPolicyUpdate(InputModel):
    egress: bool = Field(description="Steps that ask for the network (`network: true`) get it.")


class EgressPolicy(OutputModel):
    """Whether the service's steps may reach the network. Never the factory host's own loopback services."""

    service: str
    egress: bool


class Protection(OutputModel):
    """One sandbox protection and whether it is active for pipeline steps on this host."""

    name: str
    active: bool
    detail: str


class EnvironmentState(OutputModel):
    """One environment of a service: its policy, what runs there, what waits, what broke."""

    name: str
    position: int
    is_production: bool
    policy: EnvironmentPolicy
    current: Deployment | None
    waiting: list[Deployment]
    recent: list[Deployment]
    open_incidents: list[Incident]


class ServiceDelivery(OutputModel):
    service: str
    environments: list[EnvironmentState]


# --- incidents ---------------------------------------------------------------------------------------


class IncidentCreate(InputModel):
    service: str
    environment: str
    title: str = Field(min_length=1, max_length=300)
    description: str = Field("", max_length=10_000)
    severity: Annotated[Severity, FromJson] = Severity.SEV2
    detected_at: Annotated[datetime, FromJson] | None = Field(None, description="Default: now.")
    caused_by_deployment: int | None = Field(
        None, description="The deployment that caused it; default: the heuristic in docs/delivery.md."
    )
    caused_by_change: str | None = Field(
        None,
        min_length=4,
        max_length=64,
        description="The commit (sha or its prefix) that caused it: its first deployment to the environment is "
        "the cause. Give this or caused_by_deployment, not both.",
    )


class IncidentResolve(InputModel):
    resolution: str = Field(min_length=1, max_length=10_000)
    restored_by_deployment: int | None = Field(
        None, description="The deployment that restored service (it is marked as rework)."
    )


class Incident(OutputModel):
    key: str
    service: str
    origin: Origin = Origin.FACTORY
    external_id: str | None = None
    environment: str
    title: str
    description: str
    severity: Severity
    status: IncidentStatus
    detected_at: datetime
    opened_at: datetime
    opened_by: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    caused_by_deployment_id: int | None
    cause_link: str | None
    restored_by_deployment_id: int | None
    restore_link: str | None


class IncidentFilter(InputModel):
    service: str | None = None
    status: Annotated[IncidentStatus, FromJson] | None = None


# --- secrets -----------------------------------------------------------------------------------------


class SecretWrite(InputModel):
    value: str = Field(
        min_length=MIN_SECRET_LENGTH,
        max_length=16_384,
        description=f"At least {MIN_SECRET_LENGTH} characters (shorter values cannot be masked in logs).",
    )
    environment: str | None = Field(
        None, description="Only for deploy stages of this environment; default: every step that names it."
    )


class SecretInfo(OutputModel):
    """A secret as the API shows it: never its value."""

    name: str
    environment: str | None
    updated_at: datetime
    updated_by: str


SECRET_NAME_PATTERN = SECRET_PATTERN

# --- traceability ------------------------------------------------------------------------------------


class ChangeTrace(OutputModel):
    """A change and where it went: the work items it names and its deployments (lead time inputs)."""

    service: str
    change: ChangeOut
    deployments: list[Deployment]
    first_production_deploy_at: datetime | None
    lead_time_seconds: float | None


Run.model_rebuild()
EnvironmentState.model_rebuild()


# --- records from outside (webhooks: the integrations layer) ------------------------------------------


class OutsideChange(InputModel):
    """A commit seen outside (a push, a merged pull request, a CDEvents change event)."""

    sha: str = Field(min_length=1, max_length=64)
    author_name: str = Field("", max_length=200)
    author_email: str = Field("", max_length=200)
    authored_at: datetime
    committed_at: datetime
    merged_at: datetime | None = None
    message: str = Field("", max_length=100_000)
    authoritative: bool = Field(True, description="Commit data (times, author) rather than a first sighting.")


class OutsideRecord(InputModel):
    """What an outside tool reported, known by its id at that origin."""

    origin: Origin
    external_id: str = Field(min_length=1, max_length=200)


class OutsideRunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"


class OutsideRun(OutsideRecord):
    """A pipeline run of an outside CI (a GitHub workflow run, a GitLab pipeline, a CDEvents pipelineRun)."""

    name: str = Field("", max_length=300)
    status: OutsideRunStatus
    outcome: Status | None = Field(None, description="passed, failed or cancelled once finished.")
    ref: str | None = Field(None, max_length=255)
    head_sha: str = Field("", max_length=64)
    url: str | None = Field(None, max_length=500)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    at: datetime = Field(description="When the reported state held (the event's own time, not its arrival).")


class OutsideDeployment(OutsideRecord):
    """A deployment an outside tool made (GitHub deployments, GitLab Deployment Hook, CDEvents service.*)."""

    environment: str = Field(min_length=1, max_length=40)
    version: str = Field("", max_length=100)
    commit_sha: str = Field("", max_length=64)
    status: DeploymentStatus
    is_rollback: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    at: datetime = Field(description="When the reported state held (the event's own time, not its arrival).")


class OutsideIncident(OutsideRecord):
    """An incident reported from outside (CDEvents incident.*): opened when detected, closed when resolved."""

    environment: str = Field(min_length=1, max_length=40)
    title: str = Field("", max_length=300)
    resolved: bool = False
    caused_by_version: str | None = Field(None, max_length=100, description="The deployed version it is due to.")
    at: datetime = Field(description="Detected (or resolved) at, by the reporter's clock.")


class OutsideResult(OutputModel):
    """What recording an outside fact did: which record, and whether it changed (False: old or repeated news)."""

    kind: str
    ref: str
    changed: bool


# --- where services stand (a bulk read for insights' loop) -------------------------------------------


class LatestDelivery(OutputModel):
    """A service's latest pipeline run and, per environment it was deployed to, its latest deployment
    (whatever its status: the newest attempt is what people ask about)."""

    service: str
    run: RunSummary | None
    deployments: dict[str, Deployment] = Field(default_factory=dict)


# --- how work reached production (a bulk read for insights) -------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemDelivery:
    """A change naming `item` (a FEAT-, EPIC- or STORY- key) and the first successful production deployment
    that carried it: authored, deployment requested, approved (None: no approval needed), started,
    finished."""

    item: str
    change_sha: str
    service: str
    authored_at: datetime
    requested_at: datetime
    approved_at: datetime | None
    started_at: datetime | None
    finished_at: datetime


# --- DORA facts (a bulk read for insights; plain tuples: a quarter of a large fleet is 10^5 rows) ---------


class DoraDeployment(NamedTuple):
    """A production deployment that ended (succeeded or failed) in the period; `bucket`: the index of the
    trend bucket it ended in."""

    id: int
    service_id: int
    finished_at: datetime
    succeeded: bool
    is_rollback: bool
    is_rework: bool
    bucket: int


class DoraFailure(NamedTuple):
    """Why a production deployment needed intervention: an incident it caused (`incident`) or its rollback
    (`rollback`); detected and recovered times of that one signal (recovered None while it lasts)."""

    deployment_id: int
    service_id: int
    deployed_at: datetime
    deployment_succeeded: bool
    signal: str
    detected_at: datetime
    recovered_at: datetime | None


class DoraLead(NamedTuple):
    """The lead times (seconds) of a service's changes first deployed to production in one trend bucket of
    the period (grouped by the store: a quarter of a large fleet holds 10^5 changes)."""

    service_id: int
    bucket: int
    seconds: list[float]


class DoraUnlinked(NamedTuple):
    """An incident of a production environment detected in the period with no deployment as its cause."""

    service_id: int
    detected_at: datetime


@dataclass(frozen=True)
class DoraFacts:
    """What DORA's five figures are computed from, for a set of services (or an epic's work) and a period."""

    deployments: list[DoraDeployment] = field(default_factory=list)
    failures: list[DoraFailure] = field(default_factory=list)
    leads: list[DoraLead] = field(default_factory=list)
    unlinked: list[DoraUnlinked] = field(default_factory=list)
    services: dict[int, str] = field(default_factory=dict)
