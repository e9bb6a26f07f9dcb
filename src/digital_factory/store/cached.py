"""What one process keeps of its reads: rendered answers per topic, each tagged with the topic's revision
(`store.revisions`) it was read at, kept only while that revision is current.

Freshness: a commit in this process that wrote the topic drops what is kept at once (`moved`). Commits in
other processes are seen at the next revision check, one indexed read at most every `refresh_seconds`
(0: before every answer). The hot path (`get`) never touches the store."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from digital_factory.store import revisions

REFRESH_SECONDS = 1.0
KEPT_PER_TOPIC = 256


@dataclass
class _Topic:
    revision: int | None = None  # as last read from the store; None: not read, or moved here since
    checked_at: float = float("-inf")
    moves: int = 0  # commits in this process that moved the topic
    answers: OrderedDict[Hashable, tuple[int, bytes]] = field(default_factory=OrderedDict)


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

    def get(self, topic: str, key: Hashable) -> bytes | None:
        """The kept answer, when the topic's revision was checked recently and the answer was read at it."""
        with self._lock:
            state = self._topics.get(topic)
            if state is None or state.revision is None:
                return None
            if self._clock() - state.checked_at > self.refresh_seconds:
                return None
            kept = state.answers.get(key)
            return kept[1] if kept is not None and kept[0] == state.revision else None

    def load(self, session: Session, topic: str, key: Hashable, read: Callable[[], bytes]) -> bytes:
        """The answer at the topic's current revision, read with `read` (in `session`'s transaction) unless
        one is kept for it. The revision is read first, so what `read` sees is at least that new."""
        with self._lock:
            moves = self._state(topic).moves
        revision = revisions.current(session, topic)
        with self._lock:
            state = self._state(topic)
            if state.moves == moves:  # nothing committed here since: the revision read is current
                if state.revision is not None and state.revision != revision:
                    state.answers.clear()  # read at an older revision: never current again
                state.revision, state.checked_at = revision, self._clock()
            kept = state.answers.get(key)
            if kept is not None and kept[0] == revision:
                return kept[1]
        body = read()
        with self._lock:
            answers = self._state(topic).answers
            answers[key] = (revision, body)
            answers.move_to_end(key)
            while len(answers) > self.kept_per_topic:
                answers.popitem(last=False)
        return body

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
