"""The injectable clock: a system clock in UTC, a fixed one that moves only when told, UTC everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from digital_factory.core.clock import Clock, FixedClock, SystemClock, as_utc

START = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_the_system_clock_tells_utc_now() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(START)
    assert clock.now() == START
    assert clock.now() == START
    clock.advance(timedelta(hours=2, seconds=5))
    assert clock.now() == datetime(2030, 1, 2, 5, 4, 10, tzinfo=UTC)
    clock.set(datetime(2031, 6, 1, tzinfo=UTC))
    assert clock.now() == datetime(2031, 6, 1, tzinfo=UTC)


def test_both_clocks_are_clocks() -> None:
    clocks: list[Clock] = [SystemClock(), FixedClock(START)]
    assert all(isinstance(clock.now(), datetime) for clock in clocks)


def test_as_utc_reads_naive_moments_as_utc() -> None:
    naive = datetime(2030, 1, 2, 3, 4, 5)  # what SQLite hands back
    assert as_utc(naive) == START
    assert as_utc(naive).tzinfo is UTC


def test_as_utc_converts_other_zones() -> None:
    berlin_winter = timezone(timedelta(hours=1))
    moment = datetime(2030, 1, 2, 4, 4, 5, tzinfo=berlin_winter)
    assert as_utc(moment) == START
    assert as_utc(moment).tzinfo is UTC
    assert as_utc(moment).hour == 3
    assert as_utc(START) == START
