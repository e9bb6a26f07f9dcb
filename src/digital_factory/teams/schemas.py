"""Public DTOs of the teams domain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN


class TeamType(StrEnum):
    """The four fundamental team types of Team Topologies."""

    STREAM_ALIGNED = "stream-aligned"
    PLATFORM = "platform"
    ENABLING = "enabling"
    COMPLICATED_SUBSYSTEM = "complicated-subsystem"


class TeamCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Short stable name, e.g. `engines`.")
    name: str = Field(min_length=1, max_length=200)
    team_type: Annotated[TeamType, FromJson] = TeamType.STREAM_ALIGNED
    mission: str = Field("", max_length=4000)


class MemberAdd(InputModel):
    username: str = Field(min_length=1, max_length=64)
    team_role: str = Field("member", min_length=1, max_length=60)


class Member(OutputModel):
    username: str
    display_name: str
    team_role: str
    joined_at: datetime


class Team(OutputModel):
    id: int
    key: str
    name: str
    team_type: TeamType
    mission: str
    created_at: datetime
    members: list[Member] = Field(default_factory=list)
