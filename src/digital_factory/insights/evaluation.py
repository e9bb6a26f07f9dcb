"""The hypothesis formulas, pure: an indicator's progress and status, an epic's hypothesis score, status and
recommendation (persevere, pivot, stop), and the WSJF feedback rule. No I/O: the use-cases feed them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class IndicatorStatus(StrEnum):
    NO_DATA = "no-data"
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    VALIDATED = "validated"
    INVALIDATED = "invalidated"


class HypothesisStatus(StrEnum):
    UNTESTED = "untested"  # no leading indicators to judge it by
    NO_DATA = "no-data"
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    VALIDATED = "validated"
    INVALIDATED = "invalidated"


class Advice(StrEnum):
    """What the evaluation suggests the board decides; the decision itself stays the board's."""

    PERSEVERE = "persevere"
    PIVOT = "pivot"
    STOP = "stop"


class Rescore(StrEnum):
    LOWER = "lower"
    RAISE = "raise"


@dataclass(frozen=True)
class Thresholds:
    """θ of the recommendation and the WSJF feedback rule (settings; SAFe prescribes no numbers)."""

    persevere: float = 0.8
    stop: float = 0.3
    high_value: int = 8  # a user-business value at or above this is "high"
    low_value: int = 3  # at or below this is "low"


@dataclass(frozen=True)
class Judged:
    """One indicator's evaluation: what the score and recommendation are computed from."""

    progress: float | None
    status: IndicatorStatus
    weight: float
    critical: bool


@dataclass(frozen=True)
class Verdict:
    score: float | None
    status: HypothesisStatus
    recommendation: Advice | None


def deadline_end(deadline: date) -> datetime:
    """A deadline is a whole day: the window runs until the midnight (UTC) after it."""
    return datetime.combine(deadline + timedelta(days=1), time(0), tzinfo=UTC)


def progress(observed: float, baseline: float, target: float, *, increase: bool) -> float:
    """The share of the way from baseline to target, ≥ 0 (1 = target reached; may exceed 1)."""
    span = target - baseline if increase else baseline - target
    moved = observed - baseline if increase else baseline - observed
    return max(moved / span, 0.0) if span else 0.0


def elapsed_share(start: datetime, end: datetime, now: datetime) -> float:
    """How much of the evaluation window [start, end) has passed, in [0, 1]."""
    if end <= start:
        return 1.0
    return min(max((now - start) / (end - start), 0.0), 1.0)


def indicator_status(value: float | None, elapsed: float, *, deadline_passed: bool) -> IndicatorStatus:
    """validated: target reached (progress ≥ 1); invalidated: the deadline passed without reaching it;
    at risk: progress below the share of the window elapsed; on track: otherwise; no data: nothing measured."""
    if value is None:
        return IndicatorStatus.NO_DATA
    if value >= 1:
        return IndicatorStatus.VALIDATED
    if deadline_passed:
        return IndicatorStatus.INVALIDATED
    return IndicatorStatus.AT_RISK if value < elapsed else IndicatorStatus.ON_TRACK


def score(judged: Sequence[Judged]) -> float | None:
    """Σ wᵢ·min(progressᵢ, 1) / Σ wᵢ; an indicator without data counts as progress 0. None: no indicators."""
    total = sum(j.weight for j in judged)
    if not judged or total <= 0:
        return None
    return sum(j.weight * min(j.progress or 0.0, 1.0) for j in judged) / total


def recommend(judged: Sequence[Judged], value: float | None, *, window_over: bool, theta: Thresholds) -> Advice | None:
    """PERSEVERE when every critical indicator reached its target (there being one) or the score ≥ θ_persevere;
    STOP when the score ≤ θ_stop at the end of the window; PIVOT otherwise. A critical indicator that was
    invalidated rules out persevere."""
    if value is None:
        return None
    critical = [j for j in judged if j.critical]
    critical_failed = any(j.status is IndicatorStatus.INVALIDATED for j in critical)
    critical_met = bool(critical) and all(j.status is IndicatorStatus.VALIDATED for j in critical)
    if not critical_failed and (critical_met or value >= theta.persevere):
        return Advice.PERSEVERE
    if value <= theta.stop and (window_over or critical_failed):
        return Advice.STOP
    return Advice.PIVOT


def hypothesis_status(judged: Sequence[Judged], advice: Advice | None, *, window_over: bool) -> HypothesisStatus:
    """validated: the evidence says persevere; invalidated: the window is over and it does not (or a critical
    indicator was invalidated); no data: no indicator has data; at risk: some indicator is at risk or
    invalidated; on track: otherwise."""
    if not judged:
        return HypothesisStatus.UNTESTED
    if advice is Advice.PERSEVERE:
        return HypothesisStatus.VALIDATED
    critical_failed = any(j.critical and j.status is IndicatorStatus.INVALIDATED for j in judged)
    if window_over or critical_failed:
        return HypothesisStatus.INVALIDATED
    if all(j.status is IndicatorStatus.NO_DATA for j in judged):
        return HypothesisStatus.NO_DATA
    behind = {IndicatorStatus.AT_RISK, IndicatorStatus.INVALIDATED}
    return HypothesisStatus.AT_RISK if any(j.status in behind for j in judged) else HypothesisStatus.ON_TRACK


def verdict(judged: Sequence[Judged], *, window_over: bool, theta: Thresholds) -> Verdict:
    value = score(judged)
    advice = recommend(judged, value, window_over=window_over, theta=theta)
    return Verdict(value, hypothesis_status(judged, advice, window_over=window_over), advice)


def rescore_advice(
    user_business_value: int | None, status: HypothesisStatus, value: float | None, elapsed: float, theta: Thresholds
) -> Rescore | None:
    """Outcomes diverging from the value assumed: LOWER when the value is high (≥ high_value) and the
    hypothesis is invalidated, or scores ≤ θ_stop with half its window gone; RAISE when the value is low
    (≤ low_value) and the hypothesis is validated with at most half its window gone."""
    if user_business_value is None or value is None:
        return None
    if user_business_value >= theta.high_value:
        behind = status is HypothesisStatus.INVALIDATED or (value <= theta.stop and elapsed >= 0.5)
        return Rescore.LOWER if behind else None
    if user_business_value <= theta.low_value and status is HypothesisStatus.VALIDATED and elapsed <= 0.5:
        return Rescore.RAISE
    return None
