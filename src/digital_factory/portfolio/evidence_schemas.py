"""DTOs of the evidence behind board decisions: the hypothesis evaluation the board saw (computed by the
insights domain, kept here with the decision), and the bulk read of epics' leading indicators it needs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio.epic_schemas import Indicator
from digital_factory.portfolio.kanban import DecisionKind, DoneReason, EpicState, Substate

# statuses are insights' words (e.g. on-track, validated); portfolio keeps them as the board saw them
Status = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z\-]*$")]


class IndicatorEvidence(InputModel):
    """One leading indicator as the board saw it."""

    name: str = Field(min_length=1, max_length=120)
    observed: float | None = Field(None, allow_inf_nan=False)
    baseline: float = Field(allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    progress: float | None = Field(None, ge=0, allow_inf_nan=False)
    status: Status
    sample_size: int | None = Field(None, ge=0)


class EvaluationSnapshot(InputModel):
    """The hypothesis evaluation a decision was based on: values, statuses, score and recommendation, and
    when they were evaluated."""

    evaluated_at: Annotated[datetime, FromJson]
    score: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    status: Status
    recommendation: Annotated[DecisionKind, FromJson] | None = None
    indicators: list[IndicatorEvidence] = Field(default_factory=list, max_length=20)


class IndicatorSet(OutputModel):
    """An epic's leading indicators with what evaluating them needs: when its evaluation window opened
    (the first entry into Implementing, else its creation) and its user-business value."""

    key: str
    title: str
    state: EpicState
    substate: Substate | None
    done_reason: DoneReason | None
    user_business_value: int | None
    window_start: datetime
    indicators: list[Indicator]
