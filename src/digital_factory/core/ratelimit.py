"""Token buckets per key (a flag client key, an ingestion key): a sustained rate with room for bursts.
Pure, in-process."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable


class RateLimiter:
    """Each key gets `burst` tokens, refilled at `rate` per second; a request takes `cost` (default one).

    `take` answers 0 when the request may go, else the whole seconds until enough tokens are back (for
    `Retry-After`). A cost above the burst is charged as the burst (a full bucket lets it through). A rate
    of 0 or less turns limiting off."""

    def __init__(self, rate: float, burst: float, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._now = now
        self._buckets: dict[Hashable, list[float]] = {}
        self._lock = threading.Lock()

    def configure(self, rate: float, burst: float) -> None:
        with self._lock:
            self.rate, self.burst = rate, max(1.0, burst)
            self._buckets.clear()

    def take(self, key: Hashable, cost: float = 1.0) -> int:
        if self.rate <= 0:
            return 0
        cost = min(max(cost, 0.0), self.burst)
        now = self._now()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = [self.burst, now]
            tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens >= cost:
                bucket[0] = tokens - cost
                return 0
            bucket[0] = tokens
            return max(1, math.ceil((cost - tokens) / self.rate))

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._buckets.pop(key, None)
