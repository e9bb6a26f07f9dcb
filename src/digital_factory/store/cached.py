"""What one process keeps of its reads: answers (rendered bytes, or read-only values) per topic, each tagged
with the topic's revision (`store.revisions`) it was read at, kept only while that revision is current and,
for answers that also depend on the time or on data no topic watches, no longer than their `max_age`.

Freshness: a commit in this process that wrote the topic drops what is kept at once (`moved`). Commits in
other processes are seen at the next revision check, one indexed read at most every `refresh_seconds`
(0: before every answer). The hot path (`get`) never touches the store."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session

from digital_factory.store import revisions

REFRESH_SECONDS = 1.0
KEPT_PER_TOPIC = 256
T = TypeVar("T")


@dataclass(frozen=True)
class _Kept:
    revision: int
    made_at: float
    value: object


@dataclass
class _Topic:
    revision: int | None = None  # as last read from the store; None: not read, or moved here since
    checked_at: float = float("-inf")
    moves: int = 0  # commits in this process that moved the topic
    answers: OrderedDict[Hashable, _Kept] = field(default_factory=OrderedDict)


class ReadCache:
    def __init__(
        self,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        kept_per_topic: int = KEPT_PER_TOPIC,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.kept_per_topic = kept_per_topic
        self._clock = clock
        self._topics: dict[str, _Topic] = {}
        self._lock = threading.Lock()

    def get(self, topic: str, key: Hashable, *, max_age: float = float("inf")) -> object | None:
        """The kept answer, when the topic's revision was checked recently and the answer was read at it."""
        with self._lock:
            state = self._topics.get(topic)
            if state is None or state.revision is None:
                return None
            now = self._clock()
            if now - state.checked_at > self.refresh_seconds:
                return None
            kept = state.answers.get(key) if self.kept_per_topic else None
            if kept is None or kept.revision != state.revision or now - kept.made_at > max_age:
                return None
            return kept.value

    def load(
        self, session: Session, topic: str, key: Hashable, read: Callable[[], T], *, max_age: float = float("inf")
    ) -> T:
        """The answer at the topic's current revision, read with `read` (in `session`'s transaction) unless
        one is kept for it. The revision is read first, so what `read` sees is at least that new."""
        with self._lock:
            moves = self._state(topic).moves
        revision = revisions.current(session, topic)
        with self._lock:
            state, now = self._state(topic), self._clock()
            if state.moves == moves:  # nothing committed here since: the revision read is current
                if state.revision is not None and state.revision != revision:
                    state.answers.clear()  # read at an older revision: never current again
                state.revision, state.checked_at = revision, now
            kept = state.answers.get(key) if self.kept_per_topic else None
            if kept is not None and kept.revision == revision and now - kept.made_at <= max_age:
                return kept.value  # type: ignore[return-value]  # kept by this key's `read`, a T
        value = read()
        with self._lock:
            answers = self._state(topic).answers
            answers[key] = _Kept(revision, now, value)
            answers.move_to_end(key)
            while len(answers) > self.kept_per_topic:
                answers.popitem(last=False)
        return value

    def moved(self, topics: frozenset[str]) -> None:
        """This process committed writes to `topics`: check their revisions before answering again."""
        with self._lock:
            for topic in topics:
                state = self._state(topic)
                state.moves += 1
                state.revision = None
                state.answers.clear()

    def _state(self, topic: str) -> _Topic:
        state = self._topics.get(topic)
        if state is None:
            state = self._topics[topic] = _Topic()
        return state
