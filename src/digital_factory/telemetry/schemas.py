"""Public DTOs of the telemetry domain: what the metric store answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from digital_factory.core.schemas import OutputModel

MAX_RANGE_STEPS = 2000


class Aggregation(StrEnum):
    SUM = "sum"
    COUNT = "count"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    LAST = "last"
    RATE = "rate"
    P50 = "p50"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"


class Evaluation(OutputModel):
    """An indicator query's value at a moment: over the window that ends there. None: no data."""

    query: str
    value: float | None
    at: datetime
    service: str | None = None
    environment: str | None = None


class RangePoint(OutputModel):
    at: datetime
    value: float | None


class RangeSeries(OutputModel):
    labels: dict[str, str]
    points: list[RangePoint]


class RangeResult(OutputModel):
    metric: str
    aggregation: Aggregation
    step_seconds: int
    start: datetime
    end: datetime
    series: list[RangeSeries]


class SeriesInfo(OutputModel):
    metric: str
    kind: str
    unit: str
    service: str
    environment: str | None
    attributes: dict[str, str]
    last_at: datetime | None


class LogLineOut(OutputModel):
    at: datetime
    service: str
    environment: str | None
    severity: str
    body: str
    trace_id: str | None
    attributes: dict[str, str]


class SeverityCount(OutputModel):
    severity: str
    count: int
