"""DTOs of flow metrics: the five measures over a window for a scope, and the cumulative flow diagram."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from digital_factory.core.schemas import OutputModel
from digital_factory.portfolio.schemas import WorkLevel


class FlowType(StrEnum):
    """Flow Framework item types: every work item is exactly one."""

    FEATURE = "feature"
    DEFECT = "defect"
    RISK = "risk"
    DEBT = "debt"


class FlowState(StrEnum):
    """Flow Framework states, Canceled included."""

    NEW = "new"
    WAITING = "waiting"
    ACTIVE = "active"
    DONE = "done"
    CANCELED = "canceled"


class ScopeKind(StrEnum):
    ALL = "all"
    TEAM = "team"
    VALUE_STREAM = "value_stream"
    EPIC = "epic"


class FlowScope(OutputModel):
    kind: ScopeKind
    key: str | None
    level: WorkLevel


class TypeShare(OutputModel):
    """Items of one flow type and their share of all (None when there are none at all)."""

    flow_type: FlowType
    count: int
    share: float | None


class CompletedItem(OutputModel):
    key: str
    flow_type: FlowType
    started_at: datetime
    done_at: datetime
    flow_time_seconds: float
    active_seconds: float


class FlowMetrics(OutputModel):
    """The five flow measures over [start, end). Times in seconds; None (with a sample size of 0) when
    nothing was there to measure."""

    scope: FlowScope
    start: datetime
    end: datetime
    velocity: int
    velocity_by_type: list[TypeShare]
    flow_time_median_seconds: float | None
    flow_time_p85_seconds: float | None
    flow_time_sample: int
    load_average: float | None
    load_samples: int
    wip: int
    wip_by_type: list[TypeShare]
    wip_age_median_seconds: float | None
    wip_age_max_seconds: float | None
    efficiency: float | None
    efficiency_method: str = "ratio-of-sums"
    active_seconds: float
    flow_seconds: float
    canceled: int
    completed: list[CompletedItem]


class CfdDay(OutputModel):
    at: datetime
    counts: dict[FlowState, int]


class CumulativeFlow(OutputModel):
    """Per daily sample, how many items were in each flow state."""

    scope: FlowScope
    start: datetime
    end: datetime
    states: list[FlowState]
    days: list[CfdDay]
