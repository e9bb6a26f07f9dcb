"""Portfolio tables (private to the domain)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store import revisions
from digital_factory.store.base import Base, Entity, child_of

EpicRef = Annotated[int, child_of("portfolio_epic")]

USER_FK = "accounts_user.id"


def _about_one_item(table: str, first: str, second: str) -> tuple[CheckConstraint, Index, Index]:
    """The table arguments of a history row about exactly one item, a `first` or a `second` (its `<kind>_id`
    set, the other null), read per item in time order."""
    return (
        CheckConstraint(f"({first}_id IS NULL) <> ({second}_id IS NULL)", name="one_item"),
        Index(f"ix_{table}_{first}", f"{first}_id", "at"),
        Index(f"ix_{table}_{second}", f"{second}_id", "at"),
    )


class WsjfColumns:
    """The four WSJF inputs and the two figures derived from them (kept for ranking in SQL)."""

    user_business_value: Mapped[int | None] = mapped_column(Integer)
    time_criticality: Mapped[int | None] = mapped_column(Integer)
    risk_reduction: Mapped[int | None] = mapped_column(Integer)
    job_size: Mapped[int | None] = mapped_column(Integer)
    cost_of_delay: Mapped[int | None] = mapped_column(Integer)
    wsjf: Mapped[float | None] = mapped_column(Float)


class FlowFactColumns:
    """What flow metrics need of a work item's state history, kept with every state change in the same
    transaction (`work_facts.py`); the history stays the source of truth (the migration backfills them)."""

    started_at: Mapped[datetime | None]  # the first move into active or waiting (work start)
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # finished active spells
    reopened: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # moves out of done


class Theme(Entity):
    __tablename__ = "portfolio_theme"

    key: Mapped[str] = mapped_column(String(20), unique=True)
    objective: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class KeyResult(Entity):
    __tablename__ = "portfolio_key_result"

    theme_id: Mapped[int] = child_of("portfolio_theme")
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    metric_query: Mapped[str | None] = mapped_column(String(1000))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40), default="")
    due: Mapped[date | None] = mapped_column(Date)


class Epic(WsjfColumns, Entity):
    __tablename__ = "portfolio_epic"
    __table_args__ = (
        Index("ix_portfolio_epic_state_entered", "state", "state_entered_at"),
        Index("ix_portfolio_epic_state_wsjf", "state", "wsjf"),
        Index("ix_portfolio_epic_moved", "state_entered_at", "id"),  # the epic list's order
    )

    key: Mapped[str] = mapped_column(String(20), unique=True)
    source_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    epic_type: Mapped[str] = mapped_column(String(20))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK, ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    substate: Mapped[str | None] = mapped_column(String(20))
    done_reason: Mapped[str | None] = mapped_column(String(30))
    hypothesis: Mapped[dict[str, Any]]
    business_outcomes: Mapped[list[str]] = mapped_column(JSON)
    nfrs: Mapped[list[str]] = mapped_column(JSON)
    business_case: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    mvp_definition: Mapped[str] = mapped_column(Text, default="")
    estimated_cost: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    state_entered_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EpicTheme(Base):
    __tablename__ = "portfolio_epic_theme"

    epic_id: Mapped[int] = mapped_column(ForeignKey("portfolio_epic.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("portfolio_theme.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_portfolio_epic_theme_theme", "theme_id"),)


class Indicator(Entity):
    __tablename__ = "portfolio_indicator"

    epic_id: Mapped[EpicRef]
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    metric_query: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(20))
    baseline: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[date] = mapped_column(Date)
    weight: Mapped[float] = mapped_column(Float)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)


class Decision(Entity):
    __tablename__ = "portfolio_decision"

    epic_id: Mapped[EpicRef]
    kind: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    # the hypothesis evaluation the board saw when it decided (insights' snapshot); None before it existed
    evaluation: Mapped[dict[str, Any] | None]
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK, ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))


class Transition(Entity):
    """One move on the portfolio kanban; never changed afterwards."""

    __tablename__ = "portfolio_transition"
    __table_args__ = (Index("ix_portfolio_transition_epic_at", "epic_id", "at"),)

    epic_id: Mapped[int] = mapped_column(ForeignKey("portfolio_epic.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    from_substate: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    to_substate: Mapped[str | None] = mapped_column(String(20))
    done_reason: Mapped[str | None] = mapped_column(String(30))
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK, ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    wip_override: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_decision.id", ondelete="SET NULL"))


class Score(WsjfColumns, Entity):
    """WSJF score history of epics and features."""

    __tablename__ = "portfolio_score"
    __table_args__ = _about_one_item("portfolio_score", "epic", "feature")

    epic_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_epic.id", ondelete="CASCADE"))
    feature_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_feature.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")


class StateConfig(Base):
    """WIP limit per kanban state (no row: the documented default)."""

    __tablename__ = "portfolio_state_config"

    state: Mapped[str] = mapped_column(String(20), primary_key=True)
    wip_limit: Mapped[int | None] = mapped_column(Integer)


class GateConfig(Base):
    """Whether a gate is on (no row: its documented default)."""

    __tablename__ = "portfolio_gate_config"

    gate: Mapped[str] = mapped_column(String(60), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class Feature(WsjfColumns, FlowFactColumns, Entity):
    __tablename__ = "portfolio_feature"

    key: Mapped[str] = mapped_column(String(20), unique=True)
    source_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    epic_id: Mapped[EpicRef]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    benefit_hypothesis: Mapped[str] = mapped_column(Text, default="")
    acceptance_criteria: Mapped[list[str]] = mapped_column(JSON)
    feature_type: Mapped[str] = mapped_column(String(20))
    flow_item: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams_team.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state_changed_at: Mapped[datetime]


class Story(FlowFactColumns, Entity):
    __tablename__ = "portfolio_story"
    __table_args__ = (Index("ix_portfolio_story_team_rank", "team_id", "rank"),)

    key: Mapped[str] = mapped_column(String(20), unique=True)
    feature_id: Mapped[int] = child_of("portfolio_feature")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams_team.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    acceptance_criteria: Mapped[list[str]] = mapped_column(JSON)
    story_type: Mapped[str] = mapped_column(String(20))
    flow_item: Mapped[str] = mapped_column(String(20))
    points: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    state_changed_at: Mapped[datetime]


class WorkTransition(Entity):
    """A feature's or story's flow-state change; the insights domain computes flow metrics from these."""

    __tablename__ = "portfolio_work_transition"
    __table_args__ = _about_one_item("portfolio_work_transition", "feature", "story")

    feature_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_feature.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_story.id", ondelete="CASCADE"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK, ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")


# Reads that server processes keep (`store.reads`) under this topic are read again once any portfolio table
# or a user (an owner's name) is written.
TOPIC = "portfolio"
TABLE_PREFIX = "portfolio_"  # every table of the domain
revisions.watch(TOPIC, [USER_FK.partition(".")[0]], prefixes=[TABLE_PREFIX])
