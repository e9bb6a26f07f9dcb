"""Login throttling: too many failures for one account from one address, or from one address across
accounts, pause further tries."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from digital_factory.accounts.schemas import normalize_username
from digital_factory.core.errors import RateLimited

# failures from one address across all accounts (password spraying) allowed per window, as a multiple
# of the per-account allowance
ADDRESS_FACTOR = 5


class LoginThrottle:
    """In-process sliding window. Keyed on the account *as sign-in normalizes it* and the client address
    (the peer, or the address a trusted proxy forwarded: `FACTORY_TRUSTED_PROXIES`), so an attacker cannot
    lock a user out from everywhere by failing from one address; a victim elsewhere still gets in. One
    address failing across many accounts is throttled too, at `ADDRESS_FACTOR` times the allowance."""

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
            for key, limit in self._keys(username, ip):
                recent = self._recent(key)
                if len(recent) >= limit:
                    retry = int(self.window - (self._now() - recent[0])) + 1
                    raise RateLimited("too many failed logins; wait before trying again", retry_after_seconds=retry)

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            for key, _ in self._keys(username, ip):
                self._recent(key).append(self._now())

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((normalize_username(username), ip), None)

    def _keys(self, username: str, ip: str) -> tuple[tuple[tuple[str, str], int], ...]:
        # "\0" cannot be part of a login name, so the address-wide key never collides with an account's
        return ((normalize_username(username), ip), self.max_failures), (("\0", ip), self.max_failures * ADDRESS_FACTOR)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        entries = self._failures[key]
        cutoff = self._now() - self.window
        while entries and entries[0] < cutoff:
            entries.popleft()
        return entries
