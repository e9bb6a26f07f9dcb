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
