from __future__ import annotations

import pytest

from digital_factory.accounts.service import LoginThrottle
from digital_factory.core.errors import RateLimited


def test_failures_throttle_one_account_from_one_address_only() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, window_seconds=60, now=lambda: now[0])
    for _ in range(3):
        throttle.check("bob", "10.0.0.66")
        throttle.failed("bob", "10.0.0.66")
    with pytest.raises(RateLimited) as limited:
        throttle.check("bob", "10.0.0.66")
    assert 1 <= limited.value.retry_after_seconds <= 61
    throttle.check("bob", "192.0.2.7")  # the real user elsewhere still gets in
    throttle.check("alice", "10.0.0.66")
    now[0] += 61
    throttle.check("bob", "10.0.0.66")


def test_the_throttle_keys_on_the_name_as_sign_in_normalizes_it() -> None:
    throttle = LoginThrottle(max_failures=2, window_seconds=60, now=lambda: 0.0)
    throttle.failed("team2", "10.0.0.1")
    throttle.failed(" Team2\t", "10.0.0.1")
    for spelling in ("team2", " team2", "TEAM2 ", "\nteam2"):
        with pytest.raises(RateLimited):
            throttle.check(spelling, "10.0.0.1")


def test_one_address_failing_across_many_accounts_is_throttled() -> None:
    throttle = LoginThrottle(max_failures=2, window_seconds=60, now=lambda: 0.0)
    for index in range(10):
        throttle.check(f"user{index}", "10.0.0.9")
        throttle.failed(f"user{index}", "10.0.0.9")
    with pytest.raises(RateLimited):
        throttle.check("someone-new", "10.0.0.9")
    throttle.check("someone-new", "10.0.0.10")
