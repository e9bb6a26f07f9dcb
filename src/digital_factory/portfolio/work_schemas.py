"""DTOs of product work: features under epics, stories under features, flow states, team backlogs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio.epic_schemas import ScoreInput, WsjfScore
from digital_factory.portfolio.schema_types import FlowItem, ItemKind, Line, Text, Title, WorkState


class FeatureSummary(OutputModel):
    id: int
    key: str
    epic: str
    title: str
    feature_type: ItemKind
    flow_item: FlowItem
    state: WorkState
    team: str | None
    score: WsjfScore | None
    story_count: int = 0
    stories_done: int = 0


class FeatureCreate(InputModel):
    epic: str = Field(min_length=1, max_length=40, description="Key of the epic, e.g. EPIC-1.")
    title: Title
    description: Text = ""
    benefit_hypothesis: Text = ""
    acceptance_criteria: list[Line] = Field(default_factory=list, max_length=50)
    feature_type: Annotated[ItemKind, FromJson] = ItemKind.BUSINESS
    flow_item: Annotated[FlowItem, FromJson] = FlowItem.FEATURE
    team: str | None = Field(None, max_length=64, description="Key of the team that takes it.")
    score: ScoreInput | None = None


class FeatureUpdate(InputModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    benefit_hypothesis: str | None = Field(None, max_length=4000)
    acceptance_criteria: list[Line] | None = Field(None, max_length=50)
    feature_type: Annotated[ItemKind, FromJson] | None = None
    flow_item: Annotated[FlowItem, FromJson] | None = None
    team: str | None = Field(None, max_length=64, description="Team key; an empty string removes the team.")


class Feature(FeatureSummary):
    description: str
    benefit_hypothesis: str
    acceptance_criteria: list[str]
    created_at: datetime
    state_changed_at: datetime


class StoryCreate(InputModel):
    feature: str = Field(min_length=1, max_length=40, description="Key of the feature, e.g. FEAT-3.")
    title: Title
    description: Text = Field("", description="As a <role>, I want <activity> so that <value>.")
    acceptance_criteria: list[Line] = Field(default_factory=list, max_length=50)
    story_type: Annotated[ItemKind, FromJson] = ItemKind.BUSINESS
    flow_item: Annotated[FlowItem, FromJson] | None = Field(None, description="Default: the feature's.")
    team: str | None = Field(None, max_length=64, description="Default: the feature's team.")
    points: int | None = Field(None, ge=0, le=100)


class StoryUpdate(InputModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    acceptance_criteria: list[Line] | None = Field(None, max_length=50)
    flow_item: Annotated[FlowItem, FromJson] | None = None
    team: str | None = Field(None, max_length=64, description="Team key; an empty string removes the team.")
    points: int | None = Field(None, ge=0, le=100)


class Story(OutputModel):
    id: int
    key: str
    feature: str
    epic: str
    title: str
    description: str
    acceptance_criteria: list[str]
    story_type: ItemKind
    flow_item: FlowItem
    team: str | None
    points: int | None
    state: WorkState
    rank: int
    created_at: datetime
    state_changed_at: datetime


class StateChange(InputModel):
    to: Annotated[WorkState, FromJson]
    reason: str = Field("", max_length=2000)


class WorkTransition(OutputModel):
    item: str
    from_state: WorkState | None
    to_state: WorkState
    at: datetime
    actor_name: str
    reason: str


class TeamBacklog(OutputModel):
    team: str
    stories: list[Story]


class BacklogOrder(InputModel):
    stories: list[str] = Field(min_length=1, max_length=1000, description="Story keys in their new order.")
