"""Resolved API tokens kept for a moment, so a request checks its token without a transaction of its own.

An entry lives `ttl` seconds (1 s by default): a revocation, an expiry, a role change or a deactivation made
by another server process takes effect within that; in this process the accounts events drop the entry at
once. A hit still checks the presented secret against the stored digest and the token's expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from digital_factory.accounts import bearer
from digital_factory.accounts.events import TokenRevoked, UserChanged
from digital_factory.core.errors import Unauthenticated

MAX_ENTRIES = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class _Entry(Generic[T]):
    digest: str
    expires_at: datetime
    user_id: int
    fetched: float
    value: T


class TokenCache(Generic[T]):
    def __init__(self, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}
        self._lock = threading.Lock()

    def lookup(self, parsed: bearer.ParsedSecret, digester: bearer.SecretDigester, now: datetime) -> T | None:
        """The cached resolution of a well-formed token, or None (unknown or too old); Unauthenticated when
        the secret is not the one stored or the token expired meanwhile."""
        entry = self._entries.get(parsed.public_id)
        if entry is None or self._clock() - entry.fetched > self.ttl:
            return None
        if not digester.matches(parsed.full, entry.digest) or entry.expires_at <= now:
            raise Unauthenticated("the bearer token is not valid")
        return entry.value

    def keep(self, public_id: str, digest: str, expires_at: datetime, user_id: int, value: T) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()  # a flood of distinct tokens: start over rather than grow
            self._entries[public_id] = _Entry(digest, expires_at, user_id, self._clock(), value)

    def forget_token(self, event: TokenRevoked) -> None:
        with self._lock:
            self._entries.pop(event.public_id, None)

    def forget_user(self, event: UserChanged) -> None:
        with self._lock:
            for public_id in [k for k, e in self._entries.items() if e.user_id == event.user_id]:
                del self._entries[public_id]
