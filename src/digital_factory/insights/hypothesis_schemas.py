"""DTOs of hypothesis evaluation: each leading indicator's live value, progress and status with its evidence,
an epic's hypothesis score and recommendation, theme key results, the decision taken on them, and the WSJF
feedback (re-score suggestions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.insights.evaluation import Advice, HypothesisStatus, IndicatorStatus, Rescore
from digital_factory.portfolio.schemas import (
    DecisionKind,
    EpicState,
    EvaluationSnapshot,
    Indicator,
    KeyResult,
    Substate,
)


class ChartPoint(OutputModel):
    at: datetime
    value: float | None


class ChartLine(OutputModel):
    """One metric of an indicator's query per step over its evaluation window (the evidence charted)."""

    label: str = Field(description="The selector charted, e.g. sum(business.units_sold[30d]).")
    metric: str
    aggregation: str
    step_seconds: int
    points: list[ChartPoint]


# a leading indicator as the epic defines it, with its value now and the evidence behind it
class IndicatorEvaluation(Indicator):
    observed: float | None = Field(description="The query's value over its window ending now (or at the deadline).")
    evaluated_at: datetime = Field(description="The end of the window read: now, or the deadline once past.")
    sample_size: int | None = Field(
        description="Points (or histogram observations) behind the value; null where not counted (lists)."
    )
    progress: float | None = Field(description="Share of the way from baseline to target (1 = reached).")
    elapsed: float = Field(description="Share of the evaluation window elapsed.")
    status: IndicatorStatus
    chart: list[ChartLine] = Field(default_factory=list)


class HypothesisEvaluation(OutputModel):
    epic: str
    title: str
    state: EpicState
    substate: Substate | None
    evaluated_at: datetime
    window_start: datetime = Field(description="First entry into Implementing (else the epic's creation).")
    window_end: datetime | None = Field(description="The midnight after the latest indicator deadline.")
    score: float | None = Field(description="Σ w·min(progress, 1) / Σ w; null without indicators.")
    status: HypothesisStatus
    recommendation: Advice | None
    thresholds: dict[str, float] = Field(description="θ_persevere and θ_stop used.")
    indicators: list[IndicatorEvaluation]


class CardEvaluation(OutputModel):
    """What a portfolio card shows of an epic's hypothesis."""

    epic: str
    score: float | None
    status: HypothesisStatus
    recommendation: Advice | None
    indicators: dict[str, IndicatorStatus]


# a theme's key result as defined, with its value now
class KeyResultValue(KeyResult):
    observed: float | None = Field(description="The metric query's current value; null without a query or data.")
    sample_size: int | None
    progress: float | None = Field(description="Share of the way from baseline (else 0) to target.")


class ThemeKeyResults(OutputModel):
    theme: str
    objective: str
    evaluated_at: datetime
    key_results: list[KeyResultValue]


class HypothesisDecision(InputModel):
    """A board decision on an epic's hypothesis with the evaluation the deciders saw. Without `evaluation`
    the evaluation made now is recorded."""

    kind: Annotated[DecisionKind, FromJson]
    rationale: str = Field(min_length=1, max_length=4000)
    evaluation: EvaluationSnapshot | None = None
    wip_override_reason: str | None = Field(None, max_length=2000)


class RescoreSuggestion(OutputModel):
    epic: str
    title: str
    state: EpicState
    user_business_value: int
    score: float | None
    status: HypothesisStatus
    suggestion: Rescore
    reason: str
