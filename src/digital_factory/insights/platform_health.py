"""The platform dashboard's arithmetic, pure: onboarding times and the template fleet's spread.

Insights sits below platform in the layers, so the web page reads platform's face and hands the plain
figures here; nothing in this module touches the store."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Durations:
    """How long finished onboardings took, in seconds: how many, the median, the 90th percentile, the longest."""

    count: int
    median: float | None
    p90: float | None
    longest: float | None


def nearest_rank(ordered: list[float], quantile: float) -> float:
    """The nearest-rank quantile of sorted values: the smallest value with at least `quantile` of them at or
    below it (so it is always a time an onboarding really took)."""
    return ordered[max(math.ceil(quantile * len(ordered)), 1) - 1]


def durations(spans: Iterable[tuple[datetime, datetime | None]]) -> Durations:
    """Summary of (started, finished) pairs; unfinished ones are left out."""
    seconds = sorted((end - start).total_seconds() for start, end in spans if end is not None)
    if not seconds:
        return Durations(0, None, None, None)
    return Durations(len(seconds), nearest_rank(seconds, 0.5), nearest_rank(seconds, 0.9), seconds[-1])


@dataclass(frozen=True)
class VersionCount:
    template: str
    version: str
    services: int
    behind: bool


def fleet_spread(entries: Iterable[tuple[str, str, bool]]) -> list[VersionCount]:
    """Services per (template, version), with whether that version is behind the template's newest."""
    counts: Counter[tuple[str, str, bool]] = Counter(entries)
    return [VersionCount(t, v, n, behind) for (t, v, behind), n in sorted(counts.items())]
