"""DTOs of epics: hypothesis, lean business case, leading indicators, WSJF scores, the ranked backlog."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio.kanban import DoneReason, EpicState, Substate
from digital_factory.portfolio.schema_types import KEY_LIST_MAX, ItemKind, Line, Text, Title, checked_query
from digital_factory.portfolio.wsjf import SCALE, scale_reason


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
        normalized = checked_query(value, required=True)
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
