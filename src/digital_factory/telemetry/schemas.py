"""Public DTOs of the telemetry domain: what the metric store answers, and business data in and out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel

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


class Sender(OutputModel):
    """A service that sent metrics or logs, and the newest moment it sent one (None: no time known)."""

    key: str
    name: str
    last_seen: datetime | None


class BusinessKind(StrEnum):
    UNITS_SOLD = "units_sold"
    REVENUE = "revenue"
    CSAT = "csat"
    NPS = "nps"
    CUSTOM = "custom"


MAX_EVENTS_PER_REQUEST = 1000
MAX_BULK_ROWS = 100_000
MAX_ATTRIBUTES = 16
FEEDBACK_LIMIT = 4000


class BusinessEvent(InputModel):
    """One business event (docs/telemetry.md, "Business data"): which fields a kind needs is checked by
    `telemetry.service.check_business_event`, so every door reports the same reasons."""

    kind: Annotated[BusinessKind, FromJson]
    service: Annotated[str, Field(min_length=1, max_length=100)]
    environment: Annotated[str | None, Field(max_length=40)] = None
    at: Annotated[datetime | None, FromJson] = None
    id: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    attributes: dict[str, str] = Field(default_factory=dict)
    count: Annotated[int | None, Field(ge=1, le=1_000_000_000)] = None
    amount: float | None = None
    currency: str | None = None
    score: int | None = None
    feedback: Annotated[str | None, Field(max_length=FEEDBACK_LIMIT)] = None
    metric: Annotated[str | None, Field(max_length=100)] = None
    value: float | None = None


class BusinessWritten(OutputModel):
    """What a business-data request stored: events new to the store, and events it already held."""

    events: int
    accepted: int
    duplicates: int


class CurrencyTotal(OutputModel):
    currency: str
    amount: float


class BusinessSummary(OutputModel):
    """A service's business figures over the last `days` (formulas in docs/telemetry.md)."""

    service: str
    environment: str | None
    days: int
    start: datetime
    end: datetime
    units_sold: float
    revenue: list[CurrencyTotal]
    csat_responses: int
    csat_percent: float | None  # share of scores 4 and 5, in %
    csat_average: float | None
    nps_responses: int
    nps: float | None  # %promoters (9-10) − %detractors (0-6)
    nps_promoters: int
    nps_passives: int
    nps_detractors: int


class FeedbackEntry(OutputModel):
    at: datetime
    service: str
    environment: str | None
    kind: BusinessKind
    score: float
    text: str
    attributes: dict[str, str]
