"""The hypothesis formulas with hand-worked values: progress both ways, statuses against the deadline,
weighted scores, critical indicators, no data, the recommendation and the WSJF feedback rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digital_factory.insights.evaluation import (
    Advice,
    HypothesisStatus,
    IndicatorStatus,
    Judged,
    Rescore,
    Thresholds,
    deadline_end,
    elapsed_share,
    indicator_status,
    progress,
    rescore_advice,
    score,
    verdict,
)
from digital_factory.insights.hypotheses import CHART_POINTS, chart_step

THETA = Thresholds()
ON, RISK, OK, BAD, NONE = (
    IndicatorStatus.ON_TRACK,
    IndicatorStatus.AT_RISK,
    IndicatorStatus.VALIDATED,
    IndicatorStatus.INVALIDATED,
    IndicatorStatus.NO_DATA,
)


def test_progress_of_an_increasing_indicator() -> None:
    # baseline 20, target 70: 45 is (45-20)/(70-20) = 0.5 of the way; 95 is 1.5; below baseline is 0
    assert progress(45, 20, 70, increase=True) == 0.5
    assert progress(95, 20, 70, increase=True) == 1.5
    assert progress(10, 20, 70, increase=True) == 0.0


def test_progress_of_a_decreasing_indicator() -> None:
    # support calls from 400 down to 100: 325 is (400-325)/(400-100) = 0.25; 100 is 1; 500 went the wrong way
    assert progress(325, 400, 100, increase=False) == 0.25
    assert progress(100, 400, 100, increase=False) == 1.0
    assert progress(500, 400, 100, increase=False) == 0.0


def test_a_deadline_is_a_whole_day_in_utc() -> None:
    assert deadline_end(date(2027, 6, 30)) == datetime(2027, 7, 1, tzinfo=UTC)


def test_elapsed_share_of_the_window() -> None:
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 11, tzinfo=UTC)
    assert elapsed_share(start, end, datetime(2027, 1, 3, 12, tzinfo=UTC)) == 0.25
    assert elapsed_share(start, end, datetime(2026, 12, 1, tzinfo=UTC)) == 0.0
    assert elapsed_share(start, end, datetime(2027, 2, 1, tzinfo=UTC)) == 1.0
    assert elapsed_share(end, start, start) == 1.0  # a window already shut before it opened


@pytest.mark.parametrize(
    ("value", "elapsed", "passed", "expected"),
    [
        (None, 0.5, False, NONE),
        (None, 1.0, True, NONE),
        (1.0, 0.9, False, OK),
        (1.2, 1.0, True, OK),
        (0.99, 1.0, True, BAD),
        (0.3, 0.4, False, RISK),
        (0.4, 0.4, False, ON),
        (0.0, 0.0, False, ON),
    ],
)
def test_indicator_status(value: float | None, elapsed: float, passed: bool, expected: IndicatorStatus) -> None:
    assert indicator_status(value, elapsed, deadline_passed=passed) is expected


def test_score_weights_and_caps_progress_and_counts_no_data_as_zero() -> None:
    # (3·min(1.5,1) + 1·0.5 + 1·0) / 5 = 3.5 / 5 = 0.7
    judged = [Judged(1.5, OK, 3, False), Judged(0.5, ON, 1, False), Judged(None, NONE, 1, False)]
    assert score(judged) == pytest.approx(0.7)
    assert score([]) is None


def test_persevere_on_a_high_score() -> None:
    # (2·1 + 1·0.55) / 3 = 0.85 ≥ 0.8
    result = verdict([Judged(1.0, OK, 2, False), Judged(0.55, ON, 1, False)], window_over=False, theta=THETA)
    assert result.score == pytest.approx(0.85)
    assert result.recommendation is Advice.PERSEVERE
    assert result.status is HypothesisStatus.VALIDATED


def test_persevere_when_every_critical_indicator_reached_its_target() -> None:
    # score (1·1 + 3·0.1) / 4 = 0.325: low, but the one critical indicator is validated
    judged = [Judged(1.0, OK, 1, True), Judged(0.1, RISK, 3, False)]
    result = verdict(judged, window_over=False, theta=THETA)
    assert result.score == pytest.approx(0.325)
    assert result.recommendation is Advice.PERSEVERE


def test_an_invalidated_critical_indicator_rules_out_persevere() -> None:
    # score (1·0.5 + 4·1) / 5 = 0.9 would persevere; the critical one missed its deadline: pivot
    judged = [Judged(0.5, BAD, 1, True), Judged(1.0, OK, 4, False)]
    result = verdict(judged, window_over=False, theta=THETA)
    assert result.score == pytest.approx(0.9)
    assert result.recommendation is Advice.PIVOT
    assert result.status is HypothesisStatus.INVALIDATED


def test_stop_only_at_the_end_of_the_window() -> None:
    # score (0.2 + 0.3) / 2 = 0.25 ≤ θ_stop 0.3: pivot while the window runs, stop once it is over
    judged = [Judged(0.2, RISK, 1, False), Judged(0.3, RISK, 1, False)]
    running = verdict(judged, window_over=False, theta=THETA)
    assert (running.recommendation, running.status) == (Advice.PIVOT, HypothesisStatus.AT_RISK)
    over = [Judged(0.2, BAD, 1, False), Judged(0.3, BAD, 1, False)]
    ended = verdict(over, window_over=True, theta=THETA)
    assert (ended.recommendation, ended.status) == (Advice.STOP, HypothesisStatus.INVALIDATED)


def test_between_the_thresholds_at_the_end_is_pivot() -> None:
    # score 0.5: above θ_stop, below θ_persevere
    result = verdict([Judged(0.5, BAD, 1, False)], window_over=True, theta=THETA)
    assert result.recommendation is Advice.PIVOT


def test_no_data_anywhere() -> None:
    result = verdict([Judged(None, NONE, 1, False), Judged(None, NONE, 2, True)], window_over=False, theta=THETA)
    assert (result.score, result.status, result.recommendation) == (0.0, HypothesisStatus.NO_DATA, Advice.PIVOT)


def test_no_indicators_is_untested() -> None:
    result = verdict([], window_over=False, theta=THETA)
    assert (result.score, result.status, result.recommendation) == (None, HypothesisStatus.UNTESTED, None)


def test_thresholds_are_settings() -> None:
    judged = [Judged(0.7, ON, 1, False)]
    assert verdict(judged, window_over=False, theta=Thresholds(persevere=0.6)).recommendation is Advice.PERSEVERE
    assert verdict(judged, window_over=False, theta=THETA).recommendation is Advice.PIVOT


@pytest.mark.parametrize(
    ("value", "status", "score_", "elapsed", "expected"),
    [
        (13, HypothesisStatus.INVALIDATED, 0.5, 1.0, Rescore.LOWER),
        (8, HypothesisStatus.AT_RISK, 0.3, 0.5, Rescore.LOWER),
        (8, HypothesisStatus.AT_RISK, 0.3, 0.4, None),  # too early to say
        (20, HypothesisStatus.ON_TRACK, 0.6, 0.7, None),
        (3, HypothesisStatus.VALIDATED, 0.9, 0.5, Rescore.RAISE),
        (1, HypothesisStatus.VALIDATED, 1.0, 0.6, None),  # validated, but not early
        (5, HypothesisStatus.INVALIDATED, 0.0, 1.0, None),  # a middling value is not contradicted
        (None, HypothesisStatus.INVALIDATED, 0.0, 1.0, None),
    ],
)
def test_wsjf_feedback_rule(
    value: int | None, status: HypothesisStatus, score_: float, elapsed: float, expected: Rescore | None
) -> None:
    assert rescore_advice(value, status, score_, elapsed, THETA) is expected


@pytest.mark.parametrize(
    ("span", "step"),
    [(30, 60), (3600, 60), (3601, 300), (86_400, 1800), (90 * 86_400, 2 * 86_400), (500 * 86_400, 7 * 86_400 * 2)],
)
def test_chart_steps_are_ones_people_read(span: float, step: int) -> None:
    assert chart_step(span) == step
    assert span / chart_step(span) <= CHART_POINTS
