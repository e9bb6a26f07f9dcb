"""The token bucket: a request takes its cost; Retry-After says when enough is back."""

from __future__ import annotations

from digital_factory.core.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_cost_takes_that_many_tokens_and_the_wait_covers_the_missing_ones() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10.0, burst=100, now=clock)
    assert limiter.take("key", 60) == 0
    assert limiter.take("key", 60) == 2  # 40 left, 20 missing at 10/s
    clock.now = 2.0
    assert limiter.take("key", 60) == 0
    assert limiter.take("other", 100) == 0  # each key has its own bucket


def test_a_cost_above_the_burst_passes_on_a_full_bucket_only() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=5, now=clock)
    assert limiter.take("key", 1000) == 0
    assert limiter.take("key", 1000) == 5
    assert limiter.take("key") == 1


def test_past_max_keys_only_the_full_buckets_are_dropped() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=10, now=clock, max_keys=4)
    for address in ("a", "b", "c"):
        limiter.take(address)
    assert limiter.take("busy", 10) == 0  # an empty bucket
    clock.now = 1.0  # a, b, c are full again; busy has one token of ten
    assert limiter.take("e") == 0
    assert len(limiter) == 2  # busy and e: the full ones went, the busy one kept its state
    assert limiter.take("busy", 2) == 1
