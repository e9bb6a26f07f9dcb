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
    of 0 or less turns limiting off.

    Keys may be many (client addresses): past `max_keys` buckets, those refilled to the brim are dropped (a
    missing bucket is a full one, so nothing changes for their keys)."""

    def __init__(
        self, rate: float, burst: float, now: Callable[[], float] = time.monotonic, *, max_keys: int = 10_000
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.max_keys = max_keys
        self._now = now
        self._buckets: dict[Hashable, list[float]] = {}
        self._prune_at = max_keys
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
                if len(self._buckets) >= self._prune_at:
                    self._prune(now)
                bucket = self._buckets[key] = [self.burst, now]
            tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens >= cost:
                bucket[0] = tokens - cost
                return 0
            bucket[0] = tokens
            return max(1, math.ceil((cost - tokens) / self.rate))

    def _prune(self, now: float) -> None:
        """Drop the full buckets (lock held); the next pruning waits until the map doubles, so it stays
        amortised when most keys are busy."""
        full = [key for key, (tokens, at) in self._buckets.items() if tokens + (now - at) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        self._prune_at = max(self.max_keys, 2 * len(self._buckets))

    def __len__(self) -> int:
        return len(self._buckets)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._buckets.pop(key, None)
