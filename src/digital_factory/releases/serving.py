"""Serving flags fast: a compiled, versioned snapshot per environment kept in memory, client keys checked
against a short-lived cache, a token bucket per key, and evaluation counts aggregated in memory.

Freshness across server processes: a snapshot is trusted for `refresh_seconds`; after that the next
request compares the environment's revision counter in the store (one indexed read) and rebuilds only when
it moved. Changes made in this process drop the snapshot at once (`FlagsChanged` after commit). When the
store cannot be reached, the last snapshot keeps serving (availability over consistency).

The hot path (`grant_from_cache`, `fresh_snapshot`, `Snapshot.evaluate`, `count`) never touches the store,
so the async OFREP endpoints call it directly and send only store work to the thread pool.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from digital_factory.accounts.service import SecretDigester, parse_secret
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Unauthenticated
from digital_factory.core.ratelimit import RateLimiter
from digital_factory.releases import evaluation, queries
from digital_factory.releases.client_keys import CLIENT_KEY_PREFIX, TOUCH_INTERVAL, touch_client_key
from digital_factory.releases.counts import CountKey, record_evaluations
from digital_factory.releases.events import ClientKeyRevoked, FlagsChanged
from digital_factory.store.uow import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grant:
    """What a client key may read: one service environment."""

    key_id: int
    public_id: str
    digest: str
    service_id: int
    environment_id: int
    checked_at: float


def _render(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


class Snapshot:
    """One environment's flags, compiled, at one revision. Response bodies are rendered once per
    (flag, outcome) and reused."""

    def __init__(self, source: queries.EnvironmentSource, checked_at: float) -> None:
        self.environment_id = source.environment_id
        self.version = source.mark.token
        self.checked_at = checked_at
        self.flags: dict[str, evaluation.CompiledFlag] = {}
        for flag in source.flags:
            metadata: dict[str, str | int | float | bool] = {"flagVersion": flag.version}
            if flag.feature_key:
                metadata["feature"] = flag.feature_key
            self.flags[flag.key] = evaluation.CompiledFlag(
                key=flag.key,
                flag_type=flag.flag_type,
                variants=flag.variants,
                config=flag.config,
                segments=source.segments,
                flag_id=flag.id,
                version=flag.version,
                metadata=metadata,
            )
        self._rendered: dict[tuple[str, evaluation.Outcome], bytes] = {}

    def etag(self, context: Mapping[str, Any]) -> str:
        """The bulk ETag: this snapshot's version and the context (a bulk answer depends on both)."""
        canonical = json.dumps(context, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(f"{self.environment_id}:{self.version}:{canonical}".encode()).hexdigest()
        return f'"{digest[:32]}"'

    def render(self, flag: evaluation.CompiledFlag, outcome: evaluation.Outcome) -> bytes:
        """The OFREP body of one evaluation (success or per-flag failure), cached per outcome."""
        cached = self._rendered.get((flag.key, outcome))
        if cached is not None:
            return cached
        body: dict[str, Any]
        if outcome.error_code is not None:
            body = {"key": flag.key, "errorCode": outcome.error_code, "errorDetails": outcome.error_details}
        else:
            value = flag.value_of(outcome)
            if flag.flag_type == "float" and isinstance(value, int):
                value = float(value)
            body = {
                "key": flag.key,
                "value": value,
                "variant": outcome.variant,
                "reason": outcome.reason,
                "metadata": flag.metadata,
            }
        rendered = _render(body)
        if len(self._rendered) < 10_000:
            self._rendered[(flag.key, outcome)] = rendered
        return rendered


@dataclass
class _Counts:
    values: dict[CountKey, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FlagServer:
    def __init__(
        self,
        store: Store,
        digester: SecretDigester,
        *,
        refresh_seconds: float = 0.5,
        rate: float = 100_000.0,
        burst: float = 200_000.0,
        address_rate: float = 500.0,
        address_burst: float = 1_000.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.digester = digester
        self.refresh_seconds = refresh_seconds
        self.limiter = RateLimiter(rate, burst, monotonic)  # per client key
        self.address_limiter = RateLimiter(address_rate, address_burst, monotonic, max_keys=100_000)
        self._monotonic = monotonic
        self._snapshots: dict[int, Snapshot] = {}
        self._grants: dict[str, Grant] = {}
        # presented key -> the grant it was last verified against, so the hot path skips parsing and the HMAC
        self._verified: dict[str, Grant] = {}
        self._counts = _Counts()
        self._refresh_locks: dict[Hashable, threading.Lock] = {}  # environments and keys
        self._locks_lock = threading.Lock()
        self.rebuilds = 0

    # --- snapshots ---------------------------------------------------------------------------------

    def fresh_snapshot(self, environment_id: int) -> Snapshot | None:
        """The snapshot when it may be served without asking the store; None means call `refresh`."""
        snapshot = self._snapshots.get(environment_id)
        if snapshot is None or self._monotonic() - snapshot.checked_at >= self.refresh_seconds:
            return None
        return snapshot

    def refresh(self, environment_id: int) -> Snapshot:
        """Check the store's revision and rebuild when it moved (blocking: call from a worker thread)."""
        with self._lock_for(environment_id):
            current = self.fresh_snapshot(environment_id)
            if current is not None:  # another thread refreshed it meanwhile
                return current
            previous = self._snapshots.get(environment_id)
            try:
                snapshot = self._load(environment_id, previous)
            except SQLAlchemyError:
                if previous is None:
                    raise
                log.warning("flag store unreachable; serving environment %s from its last snapshot", environment_id)
                previous.checked_at = self._monotonic()
                return previous
            self._snapshots[environment_id] = snapshot
            return snapshot

    def snapshot(self, environment_id: int) -> Snapshot:
        return self.fresh_snapshot(environment_id) or self.refresh(environment_id)

    def _load(self, environment_id: int, previous: Snapshot | None) -> Snapshot:
        now = self._monotonic()
        with self.store.unit_of_work(system_actor("flags"), write=False) as uow:
            if previous is not None and queries.revision_mark(uow.session, environment_id).token == previous.version:
                previous.checked_at = now
                return previous
            source = queries.environment_source(uow.session, environment_id)
        self.rebuilds += 1
        return Snapshot(source, now)

    def _lock_for(self, subject: Hashable) -> threading.Lock:
        with self._locks_lock:
            return self._refresh_locks.setdefault(subject, threading.Lock())

    def invalidate(self, event: FlagsChanged) -> None:
        for environment_id in event.environment_ids:
            self._snapshots.pop(environment_id, None)

    def evaluate(self, environment_id: int, flag_key: str, context: Mapping[str, Any]) -> evaluation.Outcome | None:
        """In-process evaluation (no HTTP): None when the environment has no such flag. Counted."""
        snapshot = self.snapshot(environment_id)
        flag = snapshot.flags.get(flag_key)
        if flag is None:
            return None
        outcome = flag.evaluate(context)
        if outcome.variant is not None:
            self.count(flag.id, environment_id, outcome.variant)
        return outcome

    # --- client keys --------------------------------------------------------------------------------

    def grant_from_cache(self, presented: str) -> Grant | None:
        """The grant of a recently checked key; None means call `lookup`. Malformed keys are refused
        here, before any store access."""
        grant = self._verified.get(presented)
        # still the current grant of its key (a re-check or a revocation replaces or drops it) and fresh
        if grant is not None and self._grants.get(grant.public_id) is grant:
            return grant if self._monotonic() - grant.checked_at < self.refresh_seconds else None
        parsed = parse_secret(presented, CLIENT_KEY_PREFIX)
        if parsed is None:
            raise Unauthenticated("the client key is malformed")
        grant = self._grants.get(parsed.public_id)
        if grant is None or self._monotonic() - grant.checked_at >= self.refresh_seconds:
            return None
        if not self.digester.matches(parsed.full, grant.digest):
            raise Unauthenticated("the client key is not valid")
        if len(self._verified) >= 10_000:  # only verified keys get here; the bound is for many rotations
            self._verified.clear()
        self._verified[presented] = grant
        return grant

    def lookup(self, presented: str) -> Grant:
        """Check a client key against the store (blocking: call from a worker thread). One check per key at a
        time: the requests that found the same grant stale wait for it instead of each asking the store."""
        parsed = parse_secret(presented, CLIENT_KEY_PREFIX)
        if parsed is None:
            raise Unauthenticated("the client key is malformed")
        with self._lock_for(("key", parsed.public_id)):
            checked = self.grant_from_cache(presented)
            return checked if checked is not None else self._check(parsed.public_id, parsed.full)

    def _check(self, public_id: str, presented: str) -> Grant:
        try:
            with self.store.unit_of_work(system_actor("flags"), write=False) as uow:
                record = queries.key_record(uow.session, public_id)
        except SQLAlchemyError:
            known = self._grants.get(public_id)
            if known is None or not self.digester.matches(presented, known.digest):
                raise
            log.warning("flag store unreachable; trusting client key %s as last checked", public_id)
            self._grants[public_id] = known = replace(known, checked_at=self._monotonic())
            return known
        if record is None or not self.digester.matches(presented, record.digest):
            raise Unauthenticated("the client key is not valid")
        if record.revoked:
            self._grants.pop(public_id, None)
            raise Unauthenticated("the client key is revoked")
        grant = Grant(
            key_id=record.id,
            public_id=record.public_id,
            digest=record.digest,
            service_id=record.service_id,
            environment_id=record.environment_id,
            checked_at=self._monotonic(),
        )
        self._grants[record.public_id] = grant
        self._touch(record)
        return grant

    def _touch(self, record: queries.KeyRecord) -> None:
        last = record.last_used_at
        if last is not None and self.store.clock.now() - as_utc(last) < TOUCH_INTERVAL:
            return
        try:
            with self.store.unit_of_work(system_actor("flags")) as uow:
                touch_client_key(uow, record.id)
        except SQLAlchemyError:
            log.warning("could not record the last use of client key %s", record.public_id)

    def forget_key(self, event: ClientKeyRevoked) -> None:
        self._grants.pop(event.public_id, None)

    # --- evaluation counts ----------------------------------------------------------------------------

    def count(self, flag_id: int, environment_id: int, variant: str) -> None:
        key = (flag_id, environment_id, variant)
        with self._counts.lock:
            values = self._counts.values
            values[key] = values.get(key, 0) + 1

    def pending_counts(self) -> dict[CountKey, int]:
        with self._counts.lock:
            return dict(self._counts.values)

    def flush(self) -> int:
        """Write the counts gathered since the last flush (a periodic job, and at shutdown)."""
        with self._counts.lock:
            taken, self._counts.values = self._counts.values, {}
        if not taken:
            return 0
        try:
            with self.store.unit_of_work(system_actor("flags")) as uow:
                recorded: int = record_evaluations(uow, taken, uow.clock.now())
                return recorded
        except Exception:
            with self._counts.lock:  # keep them for the next flush
                for key, value in taken.items():
                    self._counts.values[key] = self._counts.values.get(key, 0) + value
            raise
