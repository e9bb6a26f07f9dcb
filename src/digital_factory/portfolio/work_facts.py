"""A work item's flow facts: what flow metrics need of its state history, folded one state change at a time.
Kept on the item's row in the same transaction as each change (`work.py`), backfilled from the history by
the migration that added them; `from_history` is the same fold over a stored history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

_IN_PROGRESS = frozenset({"active", "waiting"})


class FlowFacts(NamedTuple):
    started_at: datetime | None  # the first move into active or waiting
    active_seconds: float  # time in finished active spells, summed spell by spell (as the history's reader does)
    reopened: int  # moves out of done


NO_FACTS = FlowFacts(None, 0.0, 0)


def step(facts: FlowFacts, source: str | None, entered: datetime, to: str, at: datetime) -> FlowFacts:
    """The facts after a move from `source` (entered at `entered`) to `to` at `at`."""
    started, active, reopened = facts
    if source == "active":
        active += (at - entered).total_seconds()
    if started is None and to in _IN_PROGRESS:
        started = at
    if source == "done":
        reopened += 1
    return FlowFacts(started, active, reopened)


def from_history(states: Iterable[tuple[datetime, str]]) -> FlowFacts:
    """The facts of a whole history, oldest first (`(at, state)`, the first being the creation)."""
    facts, source, entered = NO_FACTS, None, None
    for at, state in states:
        if source is not None and entered is not None:
            facts = step(facts, source, entered, state, at)
        source, entered = state, at
    return facts
