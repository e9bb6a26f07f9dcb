"""Pure arithmetic of the metric store's reads: window plans over rollups, partial sums, percentiles.

A window is read as aligned day, hour and minute rollups where whole ones fit, and raw points at its ragged
edges; the partial sums of the pieces combine into the window's figure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NANOS = 1_000_000_000


@dataclass(frozen=True)
class Piece:
    resolution: int  # seconds of the rollup read; 0: raw points
    start_ns: int
    end_ns: int


def plan(start_ns: int, end_ns: int, resolutions: Sequence[int] = (86400, 3600, 60)) -> list[Piece]:
    """[start, end) as rollup buckets where whole ones fit (largest first) and raw points elsewhere."""
    if start_ns >= end_ns:
        return []
    if not resolutions:
        return [Piece(0, start_ns, end_ns)]
    step = resolutions[0] * NANOS
    first = -(-start_ns // step) * step
    last = end_ns // step * step
    if first >= last:
        return plan(start_ns, end_ns, resolutions[1:])
    smaller = resolutions[1:]
    return [*plan(start_ns, first, smaller), Piece(resolutions[0], first, last), *plan(last, end_ns, smaller)]


@dataclass
class Partial:
    """Count, total, least, greatest and latest of some points: what combines across pieces and series."""

    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    last_ns: int = -1
    last: float | None = None

    def add(self, other: Partial) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if other.last is not None and other.last_ns >= self.last_ns:
            self.last_ns, self.last = other.last_ns, other.last

    def add_point(self, time_ns: int, value: float) -> None:
        self.add(Partial(1, value, value, value, time_ns, value))

    def figure(self, aggregation: str, seconds: float) -> float | None:
        """The window's figure; None where no point says anything (a sum of nothing is 0)."""
        if aggregation == "sum":
            return self.total
        if aggregation == "count":
            return float(self.count)
        if aggregation == "rate":
            return self.total / seconds if seconds > 0 else None
        if self.count == 0:
            return None
        return {"avg": self.total / self.count, "min": self.minimum, "max": self.maximum, "last": self.last}[
            aggregation
        ]


def quantile_of(aggregation: str) -> float:
    """p95 → 0.95."""
    return int(aggregation[1:]) / 100


def quantile_rank(count: int, quantile: float) -> tuple[int, float]:
    """Where the quantile falls among `count` sorted values: a 0-based index and the fraction to the next."""
    position = quantile * (count - 1)
    index = math.floor(position)
    return index, position - index


@dataclass
class Distribution:
    """Histogram points of one window merged: counts per bucket over shared bounds."""

    bounds: tuple[float, ...] = ()
    counts: list[float] | None = None
    total: float = 0.0
    observations: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: float, buckets: dict[str, Any] | None) -> None:
        self.observations += value
        if not buckets:
            return
        self.total += buckets.get("sum") or 0.0
        if buckets.get("min") is not None:
            self.minimum = min(self.minimum, buckets["min"])
        if buckets.get("max") is not None:
            self.maximum = max(self.maximum, buckets["max"])
        bounds = tuple(buckets["bounds"])
        if self.counts is None:
            self.bounds, self.counts = bounds, [0.0] * (len(bounds) + 1)
        if bounds == self.bounds:
            self.counts = [a + b for a, b in zip(self.counts, buckets["counts"], strict=True)]

    def figure(self, aggregation: str, seconds: float) -> float | None:
        if aggregation in {"count", "sum", "rate"}:
            value = {"count": self.observations, "sum": self.total, "rate": self.observations / max(seconds, 1e-9)}
            return value[aggregation]
        if self.observations <= 0:
            return None
        if aggregation == "avg":
            return self.total / self.observations
        if aggregation in {"min", "max"}:
            extreme = self.minimum if aggregation == "min" else self.maximum
            return None if math.isinf(extreme) else extreme
        if aggregation.startswith("p"):
            return self.quantile(quantile_of(aggregation))
        return None

    def quantile(self, quantile: float) -> float | None:
        """Linear interpolation inside the bucket the quantile falls in (as Prometheus' histogram_quantile),
        held to the observed minimum and maximum where the histogram reported them."""
        if not self.counts:
            return None
        rank = quantile * sum(self.counts)
        seen = 0.0
        for index, count in enumerate(self.counts):
            if count > 0 and seen + count >= rank:
                low = self.bounds[index - 1] if index > 0 else min(0.0, self.minimum)
                high = self.bounds[index] if index < len(self.bounds) else self.maximum
                low = max(low, self.minimum) if not math.isinf(self.minimum) else low
                if math.isinf(high):
                    high = self.bounds[-1] if self.bounds else low
                return low + (high - low) * (rank - seen) / count
            seen += count
        return None
