"""The pure pieces of DORA: band tables by report year, percentiles, cadence, named periods and buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import bands
from digital_factory.insights.bands import DAY, HOUR, WEEK, Cadence
from digital_factory.insights.dora_figures import bucket_starts, cadence, percentile, period_bounds
from digital_factory.insights.schemas import DoraBand

E, H, M, L = DoraBand.ELITE, DoraBand.HIGH, DoraBand.MEDIUM, DoraBand.LOW


@pytest.mark.parametrize(
    ("year", "rate", "band"),
    [
        (2024, 0.12, M),  # 2024's Medium cluster (10 %) lies below High's (20 %)
        (2023, 0.12, H),  # 10 % is 0.02 away, 15 % 0.03
        (2024, 0.075, E),  # a tie between 5 % and 10 %: the better band
        (2023, 0.50, L),
        (2021, 0.10, E),
        (2021, 0.40, H),  # above 15 %: the 16-30 % all three share reads as High
    ],
)
def test_change_fail_rate_goes_to_the_nearest_cluster(year: int, rate: float, band: DoraBand) -> None:
    assert bands.nearest(bands.table(year).change_fail, rate) == band


@pytest.mark.parametrize(
    ("year", "seconds", "lead", "recovery"),
    [
        (2024, 30 * 60, E, E),
        (2024, 2 * HOUR, E, H),
        (2024, 2 * DAY, H, L),  # recovery: 2024 leaves 1 day - 1 week to no band: the lower one
        (2023, 2 * DAY, H, M),
        (2021, 2 * HOUR, H, H),  # lead: 1 h - 1 day falls between Elite and High: High
        (2021, 2 * WEEK, M, L),
        (2024, 40 * DAY, L, L),
    ],
)
def test_durations_by_range(year: int, seconds: float, lead: DoraBand, recovery: DoraBand) -> None:
    table = bands.table(year)
    assert (bands.by_range(table.lead_time, seconds), bands.by_range(table.recovery, seconds)) == (lead, recovery)


def test_cadence_bands_by_year() -> None:
    assert bands.by_cadence(bands.table(2024).cadence, Cadence.WEEKLY) == H
    assert bands.by_cadence(bands.table(2021).cadence, Cadence.WEEKLY) == H
    assert bands.by_cadence(bands.table(2021).cadence, Cadence.MONTHLY) == H
    assert bands.by_cadence(bands.table(2024).cadence, Cadence.MONTHLY) == M
    assert bands.by_cadence(bands.table(2021).cadence, Cadence.SIX_MONTHLY) == M
    assert bands.by_cadence(bands.table(2024).cadence, None) is None
    assert bands.modal([H, E, L, H]) == H and bands.modal([H, L]) == L and bands.modal([None]) is None


def test_percentiles_interpolate_like_percentile_cont() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.85) == 4.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.85) == pytest.approx(3.0 + 7.0 * 0.55)


def test_cadence_of_a_period() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    end = start + timedelta(days=28)
    daily = [start + timedelta(days=d, hours=9) for d in range(28) if d % 7 < 5]
    assert cadence(daily, start, end) == Cadence.ON_DEMAND
    weekly = [start + timedelta(days=7 * w + 2) for w in range(4)]
    assert cadence(weekly, start, end) == Cadence.WEEKLY
    assert cadence([start + timedelta(days=3)], start, end) == Cadence.MONTHLY
    quarter = start + timedelta(days=90)
    assert cadence([start + timedelta(days=3)], start, quarter) == Cadence.SIX_MONTHLY
    assert cadence([start], start, start + timedelta(days=400)) == Cadence.RARER
    assert cadence([], start, end) is None


def test_named_periods_and_buckets() -> None:
    q4 = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period_bounds("2026-Q4") == q4
    assert period_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period_bounds("2026-W01") == (datetime(2025, 12, 29, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC))
    assert period_bounds("2026") == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    for bad in ("2026-Q5", "2026-13", "26-Q1", "2025-W53"):
        with pytest.raises(ValidationFailed) as refused:
            period_bounds(bad)
        assert refused.value.problems[0].field == "period"
    months = bucket_starts(*q4, "month")
    assert [m.month for m in months] == [10, 11, 12, 1]
    weeks = bucket_starts(*q4, "week")  # Thursday 1 October: a partial first week
    assert weeks[1] == datetime(2026, 10, 5, tzinfo=UTC) and weeks[-1] == q4[1] and len(weeks) == 15
