"""Bulk reads of work-item and epic histories for the domains above (insights' flow metrics, value stream
map and value lead time). Plain frozen dataclasses: a read may carry tens of thousands of items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class WorkLevel(StrEnum):
    """Which work items a flow read counts: features or stories (never both, so nothing counts twice)."""

    FEATURE = "feature"
    STORY = "story"


class WorkItemHistory(NamedTuple):
    """A feature or story with its flow-state history, oldest first: `(at, state)` per change, the first
    being its creation (state `new`). `epic_ended_at` is when its epic ended other than as completed
    (rejected, no-go, stopped after the MVP); None while the epic runs or when it was completed. A named
    tuple: a read may carry tens of thousands of them."""

    key: str
    level: WorkLevel
    flow_item: str
    item_kind: str
    epic: str
    feature: str
    created_at: datetime
    epic_ended_at: datetime | None
    states: tuple[tuple[datetime, str], ...]


class WorkItemFacts(NamedTuple):
    """A feature or story read through the flow facts kept with it instead of its history: every change of
    it lies before the read's end, it was never reopened and its epic did not end early, so its history is
    one stretch in progress from `started_at` (None: never started) to its completion (`state_changed_at`
    when `state` is done), with `active_seconds` in active within it."""

    key: str
    flow_item: str
    state: str
    state_changed_at: datetime
    started_at: datetime | None
    active_seconds: float


@dataclass(frozen=True, slots=True)
class EpicHistory:
    """An epic's kanban history, oldest first: `(at, column)` per move (column ids such as `implementing:mvp`),
    the first being its creation in the funnel; and the keys of its features."""

    key: str
    created_at: datetime
    columns: tuple[tuple[datetime, str], ...]
    features: tuple[str, ...]
