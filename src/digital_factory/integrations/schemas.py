"""Public DTOs of the integrations domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel


class HookKind(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    CDEVENTS = "cdevents"


class Outcome(StrEnum):
    """What a delivery came to: records made, nothing to record, or no mapping for what it names."""

    MAPPED = "mapped"
    IGNORED = "ignored"
    UNMAPPED = "unmapped"


class HookCreate(InputModel):
    kind: Annotated[HookKind, FromJson]
    team: str = Field(min_length=1, max_length=64, description="The owning team's key.")
    name: str = Field(min_length=1, max_length=100)


class MappingCreate(InputModel):
    external: str = Field(
        min_length=1,
        max_length=300,
        description="GitHub repository full name (`owner/repo`), GitLab project path with namespace, or a "
        "CDEvents subject id, subject source or context source.",
    )
    service: str = Field(min_length=1, max_length=64, description="The catalog service it stands for.")


class Mapping(OutputModel):
    external: str
    service: str
    created_at: datetime
    created_by: str


class Counts(OutputModel):
    mapped: int
    ignored: int
    unmapped: int


class Hook(OutputModel):
    public_id: str
    kind: HookKind
    team: str
    name: str
    path: str = Field(description="Where the sender posts, relative to the server's public URL.")
    created_at: datetime
    created_by: str
    last_delivery_at: datetime | None
    counts: Counts
    mappings: list[Mapping] = Field(default_factory=list)


class DeliveryOut(OutputModel):
    delivery_id: str
    event: str
    received_at: datetime
    outcome: Outcome
    summary: str


class HookDetail(Hook):
    recent: list[DeliveryOut] = Field(
        default_factory=list, description="The most recent deliveries, newest first (shown to the hook's owners)."
    )


class CreatedHook(OutputModel):
    hook: Hook
    secret: str = Field(description="Shown once: paste it into the sender's secret (token) field.")


class Receipt(OutputModel):
    """The answer to a sender: what became of its delivery (`duplicate`: stored before, nothing done)."""

    outcome: Outcome | None
    duplicate: bool = False
    summary: str
    records: list[str] = Field(default_factory=list)
