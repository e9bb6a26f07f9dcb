"""DTOs of the portfolio kanban: moves, board decisions, the transition history, settings and the board."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio.epic_schemas import EpicSummary
from digital_factory.portfolio.evidence_schemas import EvaluationSnapshot
from digital_factory.portfolio.kanban import DecisionKind, DoneReason, EpicState, Gate, Substate


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
    evaluation: EvaluationSnapshot | None = Field(None, description="The hypothesis evaluation the board saw.")
    at: datetime
    actor_name: str


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
    evaluation: EvaluationSnapshot | None = Field(
        None, description="The hypothesis evaluation the decision is based on (as the deciders saw it)."
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
