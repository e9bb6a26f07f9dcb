"""Public DTOs of the catalog domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from digital_factory.core.schemas import InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN


class ServiceCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `engine-control`.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    owner_team: str | None = Field(None, description="Key of the owning team.")
    repository_url: str | None = Field(None, max_length=500)


class Service(OutputModel):
    id: int
    key: str
    name: str
    description: str
    owner_team: str | None
    repository_url: str | None
    created_at: datetime
