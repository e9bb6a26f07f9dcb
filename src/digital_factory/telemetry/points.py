"""What ingestion hands the metric store: points of series, as plain data (the store's narrow interface).

Decoders (OTLP, business data) build `Batch`es; the metric store writes them in one transaction and says
how many were new. A series is a metric name with its attributes, of one service and environment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

Attributes = tuple[tuple[str, str], ...]
"""Sorted (key, value) pairs, values as text: the point's attributes, then the resource's own extra ones."""


class MetricKind(StrEnum):
    GAUGE = "gauge"  # the last sampled value
    COUNTER = "counter"  # a monotonic sum: the store keeps increments
    UPDOWN = "updown"  # a non-monotonic sum: the store keeps increments
    HISTOGRAM = "histogram"  # explicit buckets (exponential histograms are converted on decode)


class Temporality(StrEnum):
    DELTA = "delta"
    CUMULATIVE = "cumulative"


@dataclass(frozen=True, slots=True)
class Buckets:
    """A histogram's distribution: counts[i] holds values in (bounds[i-1], bounds[i]]; the last is open."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float | None = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class Point:
    metric: str
    kind: MetricKind
    attributes: Attributes
    time_ns: int
    value: float  # gauge: the sample; sums: the value as sent; histogram: the count
    temporality: Temporality = Temporality.DELTA
    start_ns: int | None = None  # cumulative: when the series (re)started; a new start is a reset
    buckets: Buckets | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class LogLine:
    time_ns: int
    severity: str  # TRACE, DEBUG, INFO, WARN, ERROR, FATAL (OTLP severity number ranges)
    body: str  # cut to LOG_BODY_LIMIT characters
    trace_id: str | None = None
    attributes: Attributes = ()


LOG_BODY_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class Batch:
    service: str  # the catalog service's key
    environment: str | None  # a catalog environment name of that service, when the sender named one
    points: tuple[Point, ...] = ()
    logs: tuple[LogLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Written:
    accepted: int  # points and log lines newly stored
    duplicates: int  # already stored (a re-sent batch): not counted twice
