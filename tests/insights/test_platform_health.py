"""The platform dashboard's arithmetic by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digital_factory.insights.service import Durations, durations, fleet_spread

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_onboarding_durations_by_nearest_rank() -> None:
    minutes = [4, 2, 10, 3, 5, 6, 7, 8, 9, 30]  # sorted: 2 3 4 5 6 7 8 9 10 30
    spans = [(T0, T0 + timedelta(minutes=m)) for m in minutes] + [(T0, None)]  # one still running
    found = durations(spans)
    # median: rank ⌈0.5·10⌉ = 5 → 6 min; p90: rank ⌈0.9·10⌉ = 9 → 10 min; longest 30 min
    assert (found.count, found.median, found.p90, found.longest) == (10, 360.0, 600.0, 1800.0)
    assert durations([(T0, None)]) == Durations(0, None, None, None)


def test_the_fleet_spread_counts_services_per_template_version() -> None:
    entries = [("python", "v1", True), ("python", "v2", False), ("python", "v1", True), ("node", "v3", False)]
    assert [(c.template, c.version, c.services, c.behind) for c in fleet_spread(entries)] == [
        ("node", "v3", 1, False),
        ("python", "v1", 2, True),
        ("python", "v2", 1, False),
    ]
