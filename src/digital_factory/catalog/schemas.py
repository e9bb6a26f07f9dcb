"""Public DTOs of the catalog domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from digital_factory.accounts.roles import Role
from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN

ENVIRONMENT_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"


class EnvironmentSpec(InputModel):
    """An environment and its policy: continuous deployment (no approval roles) or continuous delivery
    (a person with one of `approval_roles`, other than whoever triggered the change, must approve)."""

    name: str = Field(pattern=ENVIRONMENT_NAME_PATTERN)
    approval_roles: list[Annotated[Role, FromJson]] = Field(default_factory=list)

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_roles)


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


class CreatedIngestionKey(OutputModel):
    key: IngestionKey
    secret: str = Field(description="The key itself (`dfik_...`), shown only now; only its digest is kept.")


class ServiceProvenance(OutputModel):
    template: str
    version: str
    updated_at: datetime


Service.model_rebuild()
