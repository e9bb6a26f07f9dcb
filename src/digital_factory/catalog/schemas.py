"""Public DTOs of the catalog domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from digital_factory.accounts.schemas import Role
from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN

ENVIRONMENT_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
APPROVER_PATTERN = r"^(team:)?[a-z][a-z0-9._-]{1,63}$"


class EnvironmentSpec(InputModel):
    """An environment and its policy: continuous deployment (no approval roles) or continuous delivery
    (a person with one of `approval_roles`, other than whoever triggered the change, must approve)."""

    name: str = Field(pattern=ENVIRONMENT_NAME_PATTERN)
    approval_roles: list[Annotated[Role, FromJson]] = Field(default_factory=list)
    approvers: list[Annotated[str, Field(pattern=APPROVER_PATTERN)]] = Field(
        default_factory=list,
        max_length=50,
        description="Who besides the owning team's members may approve: usernames and `team:<key>` entries.",
    )

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_roles)


class EnvironmentApprovals(InputModel):
    """Who approves changes to an environment: the roles that may (none: continuous deployment) and the
    approver group, who besides the owning team's members is entitled to be the second person."""

    approval_roles: list[Annotated[Role, FromJson]] = Field(default_factory=list)
    approvers: list[Annotated[str, Field(pattern=APPROVER_PATTERN)]] = Field(
        default_factory=list,
        max_length=50,
        description="Usernames and `team:<key>` entries entitled to approve besides the owning team's members.",
    )


DEFAULT_ENVIRONMENTS: tuple[EnvironmentSpec, ...] = (
    EnvironmentSpec(name="dev"),
    EnvironmentSpec(name="staging"),
    EnvironmentSpec(name="prod", approval_roles=[Role.TEAM, Role.ADMIN]),
)


class ServiceCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `engine-control`.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    owner_team: str | None = Field(None, description="Key of the owning team.")
    repository_url: str | None = Field(None, max_length=500)
    value_stream: str | None = Field(None, description="Key of the value stream the service serves.")
    environments: list[EnvironmentSpec] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="In promotion order. Omitted: dev and staging automatic, prod with approval.",
    )


class Environment(OutputModel):
    id: int
    service: str
    name: str
    position: int
    approval_roles: list[Role]
    approvers: list[str] = Field(default_factory=list)

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_roles)


class Service(OutputModel):
    id: int
    key: str
    name: str
    description: str
    owner_team: str | None
    repository_url: str | None
    created_at: datetime
    environments: list[Environment] = Field(default_factory=list)
    template: str | None = Field(None, description="The golden-path template it was made from.")
    template_version: str | None = Field(None, description="The template version it is on (a tag, e.g. v1.0.0).")
    serves: list[WorkLink] = Field(default_factory=list, description="Features and epics it serves.")

    value_stream: str | None = None


class ServiceUpdate(InputModel):
    """Only the fields sent change; `null` clears an optional one (owner, repository, value stream)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    owner_team: str | None = None
    repository_url: str | None = Field(None, max_length=500)
    value_stream: str | None = None


class ServiceRef(OutputModel):
    key: str
    name: str
    owner_team: str | None
    value_stream: str | None


# --- value streams ---------------------------------------------------------------------------------------


class ValueStreamCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `heavy-lift-drones`.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)


class ValueStreamUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)


class ValueStream(OutputModel):
    id: int
    key: str
    name: str
    description: str
    created_at: datetime
    services: int = Field(0, description="How many services serve this stream.")
    teams: list[str] = Field(default_factory=list, description="Teams owning those services.")


# --- dependencies ------------------------------------------------------------------------------------------


class DependencyCreate(InputModel):
    on: str = Field(min_length=1, max_length=64, description="Key of the service depended on.")
    description: str = Field("", max_length=2000, description="What for: calls its API, reads its topic, …")


class Dependency(OutputModel):
    service: ServiceRef = Field(description="The other service.")
    description: str
    created_at: datetime


class DependencyCycle(OutputModel):
    """Services that depend on each other in a loop: `path` is one loop, `services` every member."""

    services: list[str]
    path: list[str]


class DependencyAdded(OutputModel):
    service: str
    depends_on: str
    description: str
    cycles: list[DependencyCycle] = Field(description="Loops this dependency closes (reported, not refused).")


class ServiceDependencies(OutputModel):
    service: str
    depends_on: list[Dependency]
    dependents: list[Dependency] = Field(description="Services that depend on this one.")
    transitive_dependencies: list[str] = Field(description="Everything this service needs, directly or not.")
    transitive_dependents: list[str] = Field(description="Everything affected when this service fails.")
    cycles: list[DependencyCycle]


# --- the catalog page ----------------------------------------------------------------------------------------


class CatalogWarning(OutputModel):
    team: str
    rule: str
    message: str
    source: str


class CatalogEntry(OutputModel):
    service: Service
    depends_on: list[str]
    dependents: list[str]


class CatalogGroup(OutputModel):
    value_stream: ValueStream | None = Field(description="None: services in no value stream.")
    entries: list[CatalogEntry]


class CatalogOverview(OutputModel):
    groups: list[CatalogGroup]
    services: int
    dependencies: int
    cycles: list[DependencyCycle]
    warnings: list[CatalogWarning]


class CatalogFilter(InputModel):
    value_stream: str | None = None
    owner_team: str | None = None
    q: str | None = Field(None, max_length=200, description="Words in the service's name or key.")


class CatalogPage(OutputModel):
    """One page of the catalog: its services grouped by value stream (streams by name, then services in
    none), how many match the filter (`total`), and the whole catalog's counts, loops and warnings."""

    groups: list[CatalogGroup]
    total: int
    limit: int
    offset: int
    services: int = Field(description="Services in the whole catalog.")
    dependencies: int = Field(description="Dependencies in the whole catalog.")
    value_streams: list[ValueStream] = Field(description="Every value stream, by name (for filters).")
    cycles: list[DependencyCycle]
    warnings: list[CatalogWarning]

    @property
    def shown(self) -> int:
        return sum(len(g.entries) for g in self.groups)

    @property
    def has_next(self) -> bool:
        return self.offset + self.shown < self.total


# --- provenance, ingestion keys and the work a service serves (platform) ----------------------

WORK_PREFIXES = {"FEAT": "feature", "EPIC": "epic"}


class WorkLinkCreate(InputModel):
    key: str = Field(min_length=3, max_length=24, description="A feature or epic key, e.g. FEAT-12 or EPIC-3.")


class WorkLink(OutputModel):
    kind: str
    key: str


class IngestionKeyCreate(InputModel):
    name: str = Field("telemetry", min_length=1, max_length=100, description="What the key is for.")


class IngestionKey(OutputModel):
    public_id: str
    service: str
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    accepted_points: int = Field(0, description="Points, spans and log records accepted with this key.")
    rejected_points: int = Field(0, description="Points, spans and log records refused (partial success).")


class IngestionGrant(OutputModel):
    """Whom a presented ingestion key lets in: its service and the key's public id."""

    service: str
    public_id: str


class CreatedIngestionKey(OutputModel):
    key: IngestionKey
    secret: str = Field(description="The key itself (`dfik_...`), shown only now; only its digest is kept.")


class ServiceProvenance(OutputModel):
    template: str
    version: str
    updated_at: datetime


for _model in (Service, CatalogEntry, CatalogGroup, CatalogOverview):
    _model.model_rebuild()
