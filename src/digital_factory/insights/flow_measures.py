"""The five flow measures and the cumulative flow diagram, pure (docs/insights.md, "Flow"): computed from
items' timelines over a window [start, end), sampled daily for load and the diagram.

- velocity: items whose (last) completion falls in the window, by flow type;
- flow time: completion − work start, median and 85th percentile (nearest rank) over those items;
- load: items in Active or Waiting at each daily sample, averaged; age of WIP at the window's end;
- efficiency: Σ active time / Σ flow time over the completed items (ratio of sums, not a mean of ratios);
- distribution: velocity by type / velocity, and WIP by type / WIP at the window's end.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from digital_factory.insights.flow_schemas import FlowState, FlowType
from digital_factory.insights.flow_states import IN_PROGRESS, Timeline, flow_type_of
from digital_factory.portfolio.schemas import WorkItemFacts, WorkState

DAY = timedelta(days=1)
DONE = str(WorkState.DONE)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def samples(start: datetime, end: datetime) -> list[datetime]:
    """Daily sample instants: the window's start, then every 24 hours, while before `end`."""
    count = max(math.ceil((end - start) / DAY), 0)
    return [start + i * DAY for i in range(count)]


@dataclass(frozen=True, slots=True)
class Completed:
    key: str
    flow_type: FlowType
    started_at: datetime
    done_at: datetime
    flow_seconds: float
    active_seconds: float


@dataclass(slots=True)
class Measures:
    completed: list[Completed] = field(default_factory=list)
    load: list[int] = field(default_factory=list)
    wip: dict[FlowType, int] = field(default_factory=dict)
    wip_ages: list[float] = field(default_factory=list)
    canceled: int = 0

    def velocity(self) -> dict[FlowType, int]:
        counts = dict.fromkeys(FlowType, 0)
        for item in self.completed:
            counts[item.flow_type] += 1
        return counts

    def flow_times(self) -> list[float]:
        return [c.flow_seconds for c in self.completed]

    def efficiency(self) -> float | None:
        flow = sum(c.flow_seconds for c in self.completed)
        return sum(c.active_seconds for c in self.completed) / flow if flow > 0 else None

    def load_average(self) -> float | None:
        return sum(self.load) / len(self.load) if self.load else None


def completion(item: Timeline, start: datetime, end: datetime) -> Completed | None:
    """The item's completion in [start, end), with its flow and active time; None if not completed then."""
    done = item.done_at(end)
    begun = item.start_at
    if done is None or done < start or begun is None or begun > done:
        return None
    return Completed(
        key=item.key,
        flow_type=item.flow_type,
        started_at=begun,
        done_at=done,
        flow_seconds=(done - begun).total_seconds(),
        active_seconds=item.time_in(FlowState.ACTIVE, begun, done),
    )


def measure(items: Iterable[Timeline | WorkItemFacts], start: datetime, end: datetime) -> Measures:
    """All five measures of `items` over [start, end) (`end` no later than now; an item's facts stand for
    its whole history up to `end`)."""
    result = Measures(wip=dict.fromkeys(FlowType, 0))
    load = [0] * (len(samples(start, end)) + 1)
    for item in items:
        if isinstance(item, Timeline):
            _measure_timeline(item, start, end, load, result)
        else:
            _measure_facts(item, start, end, load, result)
    result.load = _totals(load)
    return result


def _measure_timeline(item: Timeline, start: datetime, end: datetime, load: list[int], result: Measures) -> None:
    done = completion(item, start, end)
    if done is not None:
        result.completed.append(done)
    canceled = item.canceled_at()
    if canceled is not None and start <= canceled < end:
        result.canceled += 1
    _count_spells(item, IN_PROGRESS, start, load)
    last = item.state_at(end - timedelta(microseconds=1))
    if last in IN_PROGRESS and item.start_at is not None:
        result.wip[item.flow_type] += 1
        result.wip_ages.append((end - item.start_at).total_seconds())


def _measure_facts(item: WorkItemFacts, start: datetime, end: datetime, load: list[int], result: Measures) -> None:
    """The same as from its timeline: one stretch in progress from work start to completion (or still)."""
    begun = item.started_at
    if begun is None:  # never started: no completion, no load, no WIP
        return
    flow_type = flow_type_of(item.flow_item)
    done = item.state_changed_at if item.state == DONE else None
    if done is not None and done >= start and begun <= done:
        seconds = (done - begun).total_seconds()
        result.completed.append(Completed(item.key, flow_type, begun, done, seconds, item.active_seconds))
    _mark(begun, done, start, load)
    if done is None:  # active or waiting at the end
        result.wip[flow_type] += 1
        result.wip_ages.append((end - begun).total_seconds())


def _count_spells(item: Timeline, states: frozenset[FlowState], start: datetime, diff: list[int]) -> None:
    """Mark the run of daily samples inside each of the item's spells in `states` on a difference array
    (`diff` has one more slot than there are samples; `_totals` sums it up): no per-sample work."""
    for spell in item.spells:
        if spell.state in states:
            _mark(spell.start, spell.end, start, diff)


def _mark(low_at: datetime, high_at: datetime | None, start: datetime, diff: list[int]) -> None:
    n = len(diff) - 1
    low = max(math.ceil((low_at - start) / DAY), 0)
    high = n if high_at is None else min(math.ceil((high_at - start) / DAY), n)
    if high > low:
        diff[low] += 1
        diff[high] -= 1


def _totals(diff: list[int]) -> list[int]:
    return list(itertools.accumulate(diff[:-1]))


def cumulative_flow(items: Iterable[Timeline], start: datetime, end: datetime) -> dict[FlowState, list[int]]:
    """Per flow state, how many items were in it at each daily sample (the cumulative flow diagram)."""
    n = len(samples(start, end))
    diffs = {state: [0] * (n + 1) for state in FlowState}
    for item in items:
        for spell in item.spells:  # each spell marks its own state's array: one pass over the spells
            _mark(spell.start, spell.end, start, diffs[spell.state])
    return {state: _totals(diff) for state, diff in diffs.items()}
