"""The Flow Framework's two mappings, pure: every work item to exactly one flow item type, every work state
to one flow state; and an item's history as spells in flow states (the input of every flow measure).

Flow item types: a feature's or story's stored `flow_item` (Feature, Defect, Risk or Debt; chosen when the
item is made, default Feature, a story inherits its feature's) is its type — one per item, always.

Flow states: portfolio's work states are already the framework's (`new` New, `waiting` Waiting, `active`
Active, `done` Done). Canceled is derived: an item not done when its epic ended other than as completed
(rejected, no-go, stopped after the MVP) is Canceled from that moment; what happened to it afterwards is
ignored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from digital_factory.insights.flow_schemas import FlowState, FlowType
from digital_factory.portfolio.schemas import FlowItem, WorkItemHistory, WorkState

FLOW_TYPES: dict[FlowItem, FlowType] = {
    FlowItem.FEATURE: FlowType.FEATURE,
    FlowItem.DEFECT: FlowType.DEFECT,
    FlowItem.RISK: FlowType.RISK,
    FlowItem.DEBT: FlowType.DEBT,
}
FLOW_STATES: dict[WorkState, FlowState] = {
    WorkState.NEW: FlowState.NEW,
    WorkState.WAITING: FlowState.WAITING,
    WorkState.ACTIVE: FlowState.ACTIVE,
    WorkState.DONE: FlowState.DONE,
}
IN_PROGRESS = frozenset({FlowState.ACTIVE, FlowState.WAITING})


def flow_type_of(flow_item: str) -> FlowType:
    return FLOW_TYPES[FlowItem(flow_item)]


_BY_NAME: dict[str, FlowState] = {str(state): flow for state, flow in FLOW_STATES.items()}


def flow_state_of(work_state: str) -> FlowState:
    return _BY_NAME[work_state]


class Spell(NamedTuple):
    """A stretch of time in one flow state; `end` None: still in it (a named tuple: made by the million)."""

    state: FlowState
    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Timeline:
    key: str
    flow_type: FlowType
    spells: tuple[Spell, ...]

    @property
    def start_at(self) -> datetime | None:
        """Work start: the first move out of New into Active or Waiting (not creation)."""
        return next((s.start for s in self.spells if s.state in IN_PROGRESS), None)

    def done_at(self, before: datetime) -> datetime | None:
        """When the item became Done for good as of `before`: the start of the Done spell it is in just
        before then (a reopened item counts at its last completion; one not Done then, not at all)."""
        last = next((s for s in reversed(self.spells) if s.start < before), None)
        return last.start if last is not None and last.state is FlowState.DONE else None

    def canceled_at(self) -> datetime | None:
        return next((s.start for s in self.spells if s.state is FlowState.CANCELED), None)

    def state_at(self, moment: datetime) -> FlowState | None:
        """The state at `moment` (None: not made yet)."""
        for spell in reversed(self.spells):
            if spell.start <= moment:
                return spell.state
        return None

    def time_in(self, state: FlowState, start: datetime, end: datetime) -> float:
        """Seconds spent in `state` between `start` and `end`."""
        total = 0.0
        for spell in self.spells:
            low = max(spell.start, start)
            high = min(spell.end or end, end)
            if spell.state is state and high > low:
                total += (high - low).total_seconds()
        return total


def timeline(history: WorkItemHistory) -> Timeline:
    """The item's spells from its state history; cut at its epic's early end into Canceled (unless Done)."""
    moves = [(at, _BY_NAME[state]) for at, state in history.states]
    ended = history.epic_ended_at
    if ended is not None and moves:  # an item not made yet by the window's end is not canceled either
        kept = [(at, state) for at, state in moves if at <= ended]
        if not kept or kept[-1][1] is not FlowState.DONE:
            kept.append((ended, FlowState.CANCELED))
        moves = kept
    starts = [at for at, _ in moves]
    ends: list[datetime | None] = [*starts[1:], None]
    spells = tuple(map(Spell, [state for _, state in moves], starts, ends))
    return Timeline(history.key, flow_type_of(history.flow_item), spells)
