"""Public DTOs of the platform domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN
from digital_factory.teams.schemas import Complexity, TeamType

AnswerValue = str | int | float | bool


class TemplateCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `kotlin-service`.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    source: str = Field(
        min_length=1,
        max_length=500,
        description="The template's git repository: an https URL, or an absolute path on the server.",
    )
    trusted: bool = Field(False, description="Allow copier tasks, migrations and Jinja extensions (admin only).")


class TemplateTrust(InputModel):
    trusted: bool


class Template(OutputModel):
    key: str
    name: str
    description: str
    source: str
    builtin: bool
    trusted: bool
    versions: list[str]
    latest_version: str | None
    created_by: str
    created_at: datetime
    refreshed_at: datetime


class Choice(OutputModel):
    label: str
    value: AnswerValue


class TemplateQuestion(OutputModel):
    """One copier question, as a form field."""

    name: str
    type: str
    help: str
    default: AnswerValue | None = None
    choices: list[Choice] = Field(default_factory=list)
    secret: bool = False
    reserved: bool = Field(False, description="Filled in by onboarding (service key and name, team, description).")


class OnboardingRequest(InputModel):
    team_key: str = Field(pattern=SLUG_PATTERN, description="The new (or an existing) team's key.")
    team_name: str = Field("", max_length=200, description="Display name; required for a new team.")
    team_type: Annotated[TeamType, FromJson] = TeamType.STREAM_ALIGNED
    members: list[str] = Field(default_factory=list, max_length=30, description="Usernames to add to the team.")
    service_key: str = Field(pattern=SLUG_PATTERN, description="The service's (and repository's) key.")
    service_name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=1000)
    template: str = Field("python-service", pattern=SLUG_PATTERN)
    answers: dict[str, AnswerValue] = Field(default_factory=dict, description="Answers to the template's questions.")
    feature_key: str | None = Field(None, max_length=24, description="The feature it serves, e.g. FEAT-12.")
    epic_key: str | None = Field(None, max_length=24, description="The epic it serves, e.g. EPIC-3.")
    mission: str = Field(
        "", max_length=4000, description="The team's mission (a new team's; an existing team's is replaced if given)."
    )
    domain: str | None = Field(
        None, min_length=1, max_length=200, description="Name of a domain the team owns (made when new)."
    )
    domain_complexity: Annotated[Complexity, FromJson] = Field(
        Complexity.COMPLICATED, description="The domain's complexity, when it is made."
    )
    value_stream: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="Key of the value stream the service serves. Omitted: the epic's (the one value stream the "
        "services serving the epic, or the feature's epic, share), if it has one.",
    )
    platform_team: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="The platform team the new team consumes X-as-a-Service. Omitted: the platform team "
        "(the onboarding person's, when there are several); none exists: no interaction is recorded.",
    )


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Step(OutputModel):
    name: str
    label: str
    status: StepStatus = StepStatus.PENDING
    detail: str = ""


class OnboardingResult(OutputModel):
    team: str
    service: str
    repository: str
    clone_url: str
    commit: str
    template: str
    template_version: str
    environments: list[str]
    ingestion_key_id: str
    ingestion_key: str | None = Field(None, description="The ingestion key, shown once.")
    value_stream: str | None = Field(None, description="The value stream the service serves.")
    domain: str | None = Field(None, description="Key of the domain the team owns (from the request).")
    platform_team: str | None = Field(None, description="The platform team it consumes X-as-a-Service.")
    interaction_id: int | None = Field(None, description="The X-as-a-Service interaction recorded (or found).")

    def links(self, first_run: int | None = None) -> list[tuple[str, str]]:
        """What the onboarding made, as (label, path below the server's URL) for the web and the CLI. The
        first pipeline run starts just after onboarding commits: by its id once known, else the service's runs."""
        run = (
            ("First pipeline run", f"/delivery/runs/{first_run}")
            if first_run is not None
            else ("Pipeline runs (the first one starts with the first push)", f"/delivery/services/{self.service}")
        )
        made = [
            ("Team", f"/teams/{self.team}"),
            ("Repository", f"/git/{self.repository}.git"),
            run,
            ("Catalog entry", f"/catalog/services/{self.service}"),
            ("Environments", f"/catalog/services/{self.service}#envs"),
            ("Feature flags", f"/releases/{self.service}"),
        ]
        if self.platform_team:
            made.append(("Platform team (X-as-a-Service)", f"/teams/{self.platform_team}"))
        if self.value_stream:
            made.append(("Value stream", f"/catalog?value_stream={self.value_stream}"))
        return made


class Job(OutputModel):
    """A long-running platform job (onboarding, fleet upgrade) as its progress is reported."""

    id: str
    kind: str
    owner: str
    status: JobStatus
    title: str
    steps: list[Step]
    error: str | None = None
    result: dict[str, Any] | None = None
    created_at: datetime
    finished_at: datetime | None = None


class OnboardingRecord(OutputModel):
    job_id: str
    team_key: str
    service_key: str
    template_key: str
    template_version: str | None
    status: str
    steps: list[Step]
    error: str | None
    requested_by: str
    created_at: datetime
    finished_at: datetime | None


class UpgradeStatus(StrEnum):
    UPGRADED = "upgraded"
    CONFLICT = "conflict"
    CURRENT = "current"
    FAILED = "failed"


class UpgradeRequest(InputModel):
    services: list[str] = Field(default_factory=list, max_length=500, description="Service keys; empty with all.")
    all: bool = Field(False, description="Every service that is behind its template's newest version.")


class UpgradeRecord(OutputModel):
    service: str
    template: str
    from_version: str | None
    to_version: str
    status: UpgradeStatus
    branch: str | None
    commit: str | None
    conflicts: list[str]
    detail: str
    requested_by: str
    created_at: datetime


class FleetEntry(OutputModel):
    service: str
    owner_team: str | None
    template: str
    version: str
    latest_version: str | None
    behind: bool
    last_upgrade: UpgradeRecord | None = None


class FleetFilter(InputModel):
    template: str | None = Field(None, max_length=64, description="Only services made from this template.")
    behind: bool = Field(False, description="Only services behind their template's newest version.")


class FleetPage(OutputModel):
    """A page of the fleet (the services matching the filter), with the whole fleet's counts."""

    entries: list[FleetEntry]
    total: int  # services matching the filter
    limit: int
    offset: int
    services: int  # every service made from a template
    behind: int  # of them, behind their template's newest version
    templates: list[str]  # the templates the fleet's services were made from


class RuleStatus(StrEnum):
    PASS = "pass"  # noqa: S105  (a rule outcome)
    FAIL = "fail"
    UNKNOWN = "unknown"


class RuleResult(OutputModel):
    rule: str
    label: str
    level: str
    status: RuleStatus
    detail: str


class Scorecard(OutputModel):
    service: str
    owner_team: str | None
    level: str
    results: list[RuleResult]


class TeamScores(OutputModel):
    team: str | None
    services: int
    levels: dict[str, int]
    passing_rules: int
    known_rules: int


class ScorecardReport(OutputModel):
    scorecards: list[Scorecard]
    teams: list[TeamScores]
    platform: TeamScores


class ScorecardPage(ScorecardReport):
    """A page of the scorecards; the sums per team and platform-wide are of every scorecard."""

    total: int
    limit: int
    offset: int
