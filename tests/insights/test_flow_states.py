"""The flow mappings and formulas, pure: every work state and item type maps to exactly one flow state and
type; percentiles by nearest rank; a reopened item counts at its last completion; a canceled epic's done
items stay done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digital_factory.insights.flow_measures import measure, percentile, samples
from digital_factory.insights.flow_states import (
    FLOW_STATES,
    FLOW_TYPES,
    flow_state_of,
    flow_type_of,
    timeline,
)
from digital_factory.insights.schemas import FlowState, FlowType
from digital_factory.portfolio.schemas import FlowItem, WorkItemHistory, WorkLevel, WorkState

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _item(moves: list[tuple[float, str]], ended: float | None = None, flow_item: str = "feature") -> WorkItemHistory:
    return WorkItemHistory(
        key="FEAT-1",
        level=WorkLevel.FEATURE,
        flow_item=flow_item,
        item_kind="business",
        epic="EPIC-1",
        feature="FEAT-1",
        created_at=_day(moves[0][0]),
        epic_ended_at=None if ended is None else _day(ended),
        states=tuple((_day(n), s) for n, s in moves),
    )


def test_every_work_state_and_item_maps_to_exactly_one() -> None:
    assert set(FLOW_STATES) == set(WorkState) and len(set(FLOW_STATES.values())) == len(WorkState)
    assert set(FLOW_TYPES) == set(FlowItem) and set(FLOW_TYPES.values()) == set(FlowType)
    assert [flow_state_of(s) for s in ("new", "waiting", "active", "done")] == [
        FlowState.NEW,
        FlowState.WAITING,
        FlowState.ACTIVE,
        FlowState.DONE,
    ]
    assert flow_type_of("debt") is FlowType.DEBT


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([], 0.85) is None
    assert percentile([5.0], 0.85) == 5.0
    assert percentile([float(n) for n in range(1, 21)], 0.85) == 17.0  # ceil(0.85 * 20) = 17th
    assert percentile([3.0, 1.0, 2.0], 0.85) == 3.0
    assert len(samples(_day(0), _day(2.5))) == 3


def test_a_reopened_item_counts_once_at_its_last_completion() -> None:
    item = timeline(_item([(0, "new"), (1, "active"), (2, "done"), (3, "active"), (5, "done")]))
    assert item.done_at(_day(4)) is None  # reopened and not done again by then
    found = measure([item], _day(0), _day(10))
    assert [(c.done_at, c.flow_seconds, c.active_seconds) for c in found.completed] == [
        (_day(5), 4 * 86400.0, 3 * 86400.0)
    ]


def test_a_done_item_of_an_epic_ended_early_stays_done_and_an_open_one_is_canceled() -> None:
    done = timeline(_item([(0, "new"), (1, "active"), (2, "done")], ended=3))
    open_ = timeline(_item([(0, "new"), (1, "waiting"), (4, "active")], ended=3))
    assert done.state_at(_day(5)) is FlowState.DONE and done.canceled_at() is None
    assert open_.state_at(_day(5)) is FlowState.CANCELED and open_.canceled_at() == _day(3)
    assert [s.state for s in open_.spells] == [FlowState.NEW, FlowState.WAITING, FlowState.CANCELED]
