"""Public DTOs of the repos domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from digital_factory.core.schemas import InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN


class RepositoryCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Repository name; cloned as `/git/<key>.git`.")
    description: str = Field("", max_length=2000)
    owner_team: str | None = Field(None, description="Key of the team whose members may push.")
    service_key: str | None = Field(None, pattern=SLUG_PATTERN, description="The catalog service it holds.")


class Repository(OutputModel):
    id: int
    key: str
    description: str
    host: str
    owner_team: str | None
    service_key: str | None
    default_branch: str
    created_at: datetime
    last_push_at: datetime | None = None


class RefUpdate(OutputModel):
    ref: str
    before: str
    after: str


class PushRecord(OutputModel):
    id: int
    repository: str
    ref: str
    before: str
    after: str
    pusher: str | None
    pushed_at: datetime
