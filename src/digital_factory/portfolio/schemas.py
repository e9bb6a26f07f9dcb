"""Public DTOs of the portfolio domain: themes, epics, the kanban, WSJF, features, stories, imports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio import metricquery
from digital_factory.portfolio.kanban import DecisionKind, DoneReason, EpicState, Gate, Substate
from digital_factory.portfolio.wsjf import SCALE, scale_reason

__all__ = [
    "SCALE",
    "DecisionKind",
    "DoneReason",
    "EpicState",
    "Gate",
    "Substate",
]

Text = Annotated[str, Field(max_length=4000)]
Line = Annotated[str, Field(min_length=1, max_length=500)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
KEY_LIST_MAX = 50


class ItemKind(StrEnum):
    """SAFe's two kinds of epic and feature."""

    BUSINESS = "business"
    ENABLER = "enabler"


class FlowItem(StrEnum):
    """Flow Framework item types: every work item is exactly one."""

    FEATURE = "feature"
    DEFECT = "defect"
    RISK = "risk"
    DEBT = "debt"


class WorkState(StrEnum):
    """Flow states of features and stories."""

    NEW = "new"
    ACTIVE = "active"
    WAITING = "waiting"
    DONE = "done"


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class DataSource(StrEnum):
    TELEMETRY = "telemetry"
    BUSINESS = "business"


class ReturnType(StrEnum):
    REVENUE = "revenue"
    COST_SAVING = "cost-saving"
    RISK_REDUCTION = "risk-reduction"
    STRATEGIC = "strategic"


class DevelopmentType(StrEnum):
    IN_HOUSE = "in-house"
    OUTSOURCED = "outsourced"
    MIXED = "mixed"


class Recommendation(StrEnum):
    GO = "go"
    NO_GO = "no-go"
    UNDECIDED = "undecided"


def _query(value: str | None, *, required: bool) -> str | None:
    if value is None or (not required and not value.strip()):
        return None
    try:
        return metricquery.normalize(value)
    except metricquery.QueryError as exc:
        raise ValueError(str(exc)) from None


# --- strategic themes ----------------------------------------------------------------------------


class KeyResultSpec(InputModel):
    description: Line
    metric_query: str | None = Field(None, description="Optional metric query that measures it.")
    baseline: float | None = Field(None, allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    unit: str = Field("", max_length=40)
    due: Annotated[date, FromJson] | None = None

    @field_validator("metric_query")
    @classmethod
    def _metric_query(cls, value: str | None) -> str | None:
        return _query(value, required=False)


class ThemeCreate(InputModel):
    objective: str = Field(min_length=1, max_length=300, description="The O of the OKR.")
    description: Text = ""
    key_results: list[KeyResultSpec] = Field(default_factory=list, max_length=10)
    valid_from: Annotated[date, FromJson] | None = None
    valid_to: Annotated[date, FromJson] | None = None

    @model_validator(mode="after")
    def _period(self) -> ThemeCreate:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class ThemeUpdate(InputModel):
    objective: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    key_results: list[KeyResultSpec] | None = Field(None, max_length=10)
    valid_from: Annotated[date, FromJson] | None = None
    valid_to: Annotated[date, FromJson] | None = None
    archived: bool | None = None


class KeyResult(OutputModel):
    description: str
    metric_query: str | None
    baseline: float | None
    target: float
    unit: str
    due: date | None


class Theme(OutputModel):
    id: int
    key: str
    objective: str
    description: str
    key_results: list[KeyResult]
    valid_from: date | None
    valid_to: date | None
    archived: bool
    created_at: datetime
    epic_count: int = 0


# --- epics ---------------------------------------------------------------------------------------


class Hypothesis(InputModel):
    """The epic hypothesis statement (Geoffrey Moore's elevator pitch)."""

    for_customers: str = Field("", max_length=1000, description="For <customers>")
    who: str = Field("", max_length=1000, description="who <have this need>")
    the_solution: str = Field("", max_length=1000, description="the <solution>")
    is_a: str = Field("", max_length=1000, description="is a <solution category>")
    that: str = Field("", max_length=1000, description="that <key benefit>")
    unlike: str = Field("", max_length=1000, description="unlike <competitor or current solution>")
    our_solution: str = Field("", max_length=1000, description="our solution <differentiator>")

    @property
    def complete(self) -> bool:
        return all(getattr(self, name).strip() for name in type(self).model_fields)


class LeanBusinessCase(InputModel):
    analysis_summary: str = Field(min_length=1, max_length=4000)
    outcomes_hypothesis: Text = ""
    in_scope: Text = ""
    out_of_scope: Text = ""
    mvp_features: list[Line] = Field(default_factory=list, max_length=50)
    additional_features: list[Line] = Field(default_factory=list, max_length=50)
    stakeholders: Text = ""
    users_and_markets: Text = ""
    implementation_strategy: Text = ""
    sequencing_and_dependencies: Text = ""
    milestones: Text = ""
    mvp_cost: int = Field(ge=0, le=10**12, description="Estimated cost of the MVP (whole currency units).")
    full_cost: int = Field(ge=0, le=10**12, description="Estimated cost of the full implementation.")
    return_type: Annotated[ReturnType, FromJson] = ReturnType.REVENUE
    development_type: Annotated[DevelopmentType, FromJson] = DevelopmentType.IN_HOUSE
    recommendation: Annotated[Recommendation, FromJson] = Recommendation.UNDECIDED

    @model_validator(mode="after")
    def _costs(self) -> LeanBusinessCase:
        if self.full_cost < self.mvp_cost:
            raise ValueError("full_cost is smaller than mvp_cost")
        return self


class IndicatorSpec(InputModel):
    """A leading indicator: what we expect to see in the data early if the hypothesis is right."""

    name: str = Field(min_length=1, max_length=120)
    metric_query: str = Field(description='e.g. sum(business.units_sold{product="heavy-lift"}[30d])')
    source: Annotated[DataSource, FromJson] = DataSource.BUSINESS
    baseline: float = Field(allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    direction: Annotated[Direction, FromJson] = Direction.INCREASE
    deadline: Annotated[date, FromJson]
    weight: float = Field(1.0, gt=0, le=100, allow_inf_nan=False)
    critical: bool = False

    @field_validator("metric_query")
    @classmethod
    def _metric_query(cls, value: str) -> str:
        normalized = _query(value, required=True)
        assert normalized is not None
        return normalized

    @model_validator(mode="after")
    def _direction(self) -> IndicatorSpec:
        if self.direction is Direction.INCREASE and self.target <= self.baseline:
            raise ValueError("an increasing indicator needs a target above its baseline")
        if self.direction is Direction.DECREASE and self.target >= self.baseline:
            raise ValueError("a decreasing indicator needs a target below its baseline")
        return self


def _unique_names(indicators: list[IndicatorSpec] | None) -> list[IndicatorSpec] | None:
    if indicators is None:
        return None
    names = [i.name.casefold() for i in indicators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"indicator names must be unique; repeated: {', '.join(duplicates)}")
    return indicators


class ScoreInput(InputModel):
    """WSJF inputs, each on the modified Fibonacci scale 1 2 3 5 8 13 20."""

    user_business_value: int
    time_criticality: int
    risk_reduction: int = Field(description="Risk reduction and/or opportunity enablement.")
    job_size: int
    note: str = Field("", max_length=500)

    @field_validator("user_business_value", "time_criticality", "risk_reduction", "job_size")
    @classmethod
    def _on_scale(cls, value: int) -> int:
        if value not in SCALE:
            raise ValueError(scale_reason(value))
        return value


class EpicCreate(InputModel):
    title: Title
    description: Text = ""
    epic_type: Annotated[ItemKind, FromJson] = ItemKind.BUSINESS
    owner: str | None = Field(None, max_length=64, description="Username of the epic owner.")
    themes: list[str] = Field(default_factory=list, max_length=KEY_LIST_MAX, description="Theme keys.")
    hypothesis: Hypothesis = Field(default_factory=Hypothesis)
    business_outcomes: list[Line] = Field(default_factory=list, max_length=50)
    nfrs: list[Line] = Field(default_factory=list, max_length=50)
    business_case: LeanBusinessCase | None = None
    mvp_definition: Text = ""
    estimated_cost: int | None = Field(None, ge=0, le=10**12, description="Whole currency units.")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    leading_indicators: list[IndicatorSpec] = Field(default_factory=list, max_length=20)
    score: ScoreInput | None = None

    @field_validator("leading_indicators")
    @classmethod
    def _indicators(cls, value: list[IndicatorSpec]) -> list[IndicatorSpec]:
        return _unique_names(value) or []


class EpicUpdate(InputModel):
    """Only the fields sent change; lists (themes, outcomes, NFRs, indicators) are replaced whole.
    Sending null clears owner, business_case and estimated_cost; for other fields null means unchanged."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    epic_type: Annotated[ItemKind, FromJson] | None = None
    owner: str | None = Field(None, max_length=64, description="Username; an empty string clears it.")
    themes: list[str] | None = Field(None, max_length=KEY_LIST_MAX)
    hypothesis: Hypothesis | None = None
    business_outcomes: list[Line] | None = Field(None, max_length=50)
    nfrs: list[Line] | None = Field(None, max_length=50)
    business_case: LeanBusinessCase | None = Field(None, description="null removes the business case.")
    mvp_definition: str | None = Field(None, max_length=4000)
    estimated_cost: int | None = Field(None, ge=0, le=10**12)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    leading_indicators: list[IndicatorSpec] | None = Field(None, max_length=20)

    @field_validator("leading_indicators")
    @classmethod
    def _indicators(cls, value: list[IndicatorSpec] | None) -> list[IndicatorSpec] | None:
        return _unique_names(value)


class Indicator(OutputModel):
    name: str
    metric_query: str
    source: DataSource
    baseline: float
    target: float
    direction: Direction
    deadline: date
    weight: float
    critical: bool


class WsjfScore(OutputModel):
    user_business_value: int
    time_criticality: int
    risk_reduction: int
    job_size: int
    cost_of_delay: int
    wsjf: float


class ScoreEntry(WsjfScore):
    at: datetime
    actor_name: str
    note: str


class EpicSummary(OutputModel):
    """An epic as lists and the board show it."""

    id: int
    key: str
    title: str
    epic_type: ItemKind
    state: EpicState
    substate: Substate | None
    done_reason: DoneReason | None
    owner: str | None
    score: WsjfScore | None
    state_entered_at: datetime
    created_at: datetime
    feature_count: int = 0

    @property
    def column(self) -> str:
        return f"{self.state}:{self.substate}" if self.substate else str(self.state)


class Transition(OutputModel):
    id: int
    epic: str
    from_column: str | None
    to_column: str
    done_reason: DoneReason | None
    at: datetime
    actor_name: str
    reason: str
    wip_override: bool
    decision: DecisionKind | None


class Decision(OutputModel):
    id: int
    epic: str
    kind: DecisionKind
    rationale: str
    evidence: dict[str, float]
    at: datetime
    actor_name: str


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


class Epic(EpicSummary):
    description: str
    themes: list[str]
    hypothesis: Hypothesis
    business_outcomes: list[str]
    nfrs: list[str]
    business_case: LeanBusinessCase | None
    mvp_definition: str
    estimated_cost: int | None
    currency: str
    leading_indicators: list[Indicator]
    updated_at: datetime


class EpicFilter(InputModel):
    state: Annotated[EpicState, FromJson] | None = None
    theme: str | None = None
    owner: str | None = None
    q: str | None = Field(None, max_length=200, description="Words in the title or key.")


# --- the kanban ----------------------------------------------------------------------------------


class MoveRequest(InputModel):
    to: str = Field(
        description="Target column: funnel, reviewing, analyzing, ready, implementing (= implementing:mvp), "
        "implementing:persevere or done.",
        max_length=40,
    )
    reason: str = Field("", max_length=2000, description="Why; kept in the transition history.")
    done_reason: Annotated[DoneReason, FromJson] | None = None
    wip_override_reason: str | None = Field(
        None,
        max_length=2000,
        description="Move past a full column (needs portfolio:decide); the reason is recorded.",
    )


class MoveResult(OutputModel):
    epic: EpicSummary
    transition: Transition


class DecisionCreate(InputModel):
    kind: Annotated[DecisionKind, FromJson]
    rationale: str = Field(min_length=1, max_length=4000)
    evidence: dict[str, float] = Field(
        default_factory=dict, max_length=50, description="Observed values, e.g. of the leading indicators."
    )
    wip_override_reason: str | None = Field(None, max_length=2000)


class DecisionResult(OutputModel):
    decision: Decision
    epic: EpicSummary
    transition: Transition | None


class StateSetting(OutputModel):
    state: EpicState
    label: str
    wip_limit: int | None


class GateSetting(OutputModel):
    gate: Gate
    description: str
    enabled: bool


class KanbanConfig(OutputModel):
    states: list[StateSetting]
    gates: list[GateSetting]


class KanbanConfigUpdate(InputModel):
    """Only the states and gates named change. A WIP limit of null removes the limit."""

    wip_limits: dict[Annotated[EpicState, FromJson], int | None] = Field(default_factory=dict)
    gates: dict[Annotated[Gate, FromJson], bool] = Field(default_factory=dict)

    @field_validator("wip_limits")
    @classmethod
    def _limits(cls, value: dict[EpicState, int | None]) -> dict[EpicState, int | None]:
        for state, limit in value.items():
            if limit is not None and not 1 <= limit <= 10_000:
                raise ValueError(f"the WIP limit of {state} must be between 1 and 10000, or null for none")
        return value


class BoardColumn(OutputModel):
    id: str
    label: str
    state: EpicState
    substate: Substate | None
    count: int
    wip_limit: int | None
    state_count: int = Field(description="Epics in the whole state (Implementing: both stages).")
    cards: list[EpicSummary]

    @property
    def more(self) -> int:
        return self.count - len(self.cards)

    @property
    def full(self) -> bool:
        return self.wip_limit is not None and self.state_count >= self.wip_limit


class Board(OutputModel):
    columns: list[BoardColumn]
    total: int


class BacklogEntry(OutputModel):
    rank: int
    epic: EpicSummary


class Backlog(OutputModel):
    entries: list[BacklogEntry]
    columns_without_one: list[str] = Field(
        description="WSJF columns with no 1 among the scored epics (relative estimation puts 1 on the smallest)."
    )


class RescoreItem(ScoreInput):
    key: str = Field(min_length=1, max_length=40)


class Rescore(InputModel):
    scores: list[RescoreItem] = Field(min_length=1, max_length=500)
    note: str = Field("", max_length=500)


# --- features and stories --------------------------------------------------------------------------


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


# --- import ----------------------------------------------------------------------------------------


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class RowError(OutputModel):
    row: int = Field(description="1-based: the CSV line number (header = 1) or the JSON item's position.")
    ref: str | None
    field: str
    reason: str


class ImportedItem(OutputModel):
    row: int
    kind: str
    ref: str | None
    key: str | None = Field(description="The key given (null in a dry run).")
    title: str


class ImportReport(OutputModel):
    dry_run: bool
    skip_invalid: bool
    epics: int = Field(description="Epics created (or that would be).")
    features: int
    skipped: int
    items: list[ImportedItem]
    errors: list[RowError]
    ignored_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors
