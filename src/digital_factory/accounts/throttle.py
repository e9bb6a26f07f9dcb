"""Login throttling: too many failures for one account or from one address pause further tries."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from digital_factory.core.errors import RateLimited


class LoginThrottle:
    """In-process sliding window. Per account *and* address, so an attacker cannot lock a user out
    from everywhere by failing from one address; a victim elsewhere still gets in."""

    def __init__(
        self, max_failures: int = 10, window_seconds: float = 300.0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._now = now
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, username: str, ip: str) -> None:
        with self._lock:
            recent = self._recent((username.lower(), ip))
            if len(recent) >= self.max_failures:
                retry = int(self.window - (self._now() - recent[0])) + 1
                raise RateLimited("too many failed logins; wait before trying again", retry_after_seconds=retry)

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            self._recent((username.lower(), ip)).append(self._now())

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), ip), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        entries = self._failures[key]
        cutoff = self._now() - self.window
        while entries and entries[0] < cutoff:
            entries.popleft()
        return entries
