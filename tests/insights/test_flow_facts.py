"""The flow facts portfolio keeps with each item stand for its history: the five measures computed from them
equal those computed from the state history (timelines), for random histories (pure) and for the
hand-worked data sets read from the store, over many windows and scopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digital_factory.app.factory import Runtime
from digital_factory.insights import flow, flow_measures
from digital_factory.insights.flow_measures import Measures
from digital_factory.insights.flow_states import timeline
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio import work_facts
from digital_factory.portfolio.kanban import WORK_TRANSITIONS
from digital_factory.portfolio.schemas import (
    FlowItem,
    StateChange,
    StoryCreate,
    WorkItemFacts,
    WorkItemHistory,
    WorkLevel,
    WorkState,
)
from tests.insights.flow_builders import Script, day, flow_data

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MICROS_A_DAY = 86_400 * 10**6


def _history(moves: list[tuple[datetime, str]], flow_item: str) -> WorkItemHistory:
    return WorkItemHistory(
        "FEAT-1", WorkLevel.FEATURE, flow_item, "business", "EPIC-1", "FEAT-1", T0, None, tuple(moves)
    )


def _facts(moves: list[tuple[datetime, str]], flow_item: str) -> WorkItemFacts:
    kept = work_facts.from_history(moves)
    at, state = moves[-1]
    return WorkItemFacts("FEAT-1", flow_item, state, at, kept.started_at, kept.active_seconds)


@st.composite
def _walks(draw: st.DrawFn) -> list[tuple[datetime, str]]:
    """A history through the allowed moves, never reopened, with gaps to the microsecond."""
    moves, at, state = [(T0, "new")], T0, "new"
    for _ in range(draw(st.integers(0, 9))):
        choices = sorted(WORK_TRANSITIONS[state] - {"active"} if state == "done" else WORK_TRANSITIONS[state])
        if not choices:
            break
        state = draw(st.sampled_from(choices))
        at += timedelta(microseconds=draw(st.integers(0, 12 * MICROS_A_DAY)))
        moves.append((at, state))
    return moves


@settings(max_examples=300, deadline=None)
@given(
    walks=st.lists(_walks(), min_size=1, max_size=6),
    start_micros=st.integers(-5 * MICROS_A_DAY, 90 * MICROS_A_DAY),
    length_micros=st.integers(1, 40 * MICROS_A_DAY),
    flow_item=st.sampled_from([str(f) for f in FlowItem]),
)
def test_measures_from_facts_equal_those_from_the_history(
    walks: list[list[tuple[datetime, str]]], start_micros: int, length_micros: int, flow_item: str
) -> None:
    start = T0 + timedelta(microseconds=start_micros)
    # the facts stand for an item whose every change lies before the window's end
    end = max(start + timedelta(microseconds=length_micros), *(w[-1][0] + timedelta(microseconds=1) for w in walks))
    by_history = flow_measures.measure([timeline(_history(w, flow_item)) for w in walks], start, end)
    by_facts = flow_measures.measure([_facts(w, flow_item) for w in walks], start, end)
    assert by_facts == by_history


def test_a_reopening_is_counted_and_active_time_summed_spell_by_spell() -> None:
    moves = [(T0, "new"), (T0 + timedelta(days=1), "waiting"), (T0 + timedelta(days=2), "active")]
    moves += [(T0 + timedelta(days=3.5), "done"), (T0 + timedelta(days=4), "active"), (T0 + timedelta(days=6), "done")]
    assert work_facts.from_history(moves) == (T0 + timedelta(days=1), 3.5 * 86400.0, 1)
    assert work_facts.from_history(moves[:1]) == work_facts.NO_FACTS


def _both(s: Script, start: float, end: float, level: WorkLevel, **scope: str) -> tuple[Measures, Measures]:
    query = flow.FlowQuery(level=level, **scope)
    with s.runtime.store.unit_of_work(s.reader(), write=False) as uow:
        begin, finish = flow.window(uow, day(start), day(end))
        items = flow.flows(uow, query.scope(), finish, begin)
        by_facts = flow_measures.measure(items, begin, finish)
        histories = flow.timelines(uow, query.scope(), finish, settled_before=begin)
        by_history = flow_measures.measure(histories, begin, finish)
    return by_facts, by_history


def _extended(runtime: Runtime) -> tuple[Script, dict[str, str]]:
    """docs' data set plus a reopened feature, a story, and moves after day 20 (the windows' ends vary)."""
    s, keys = flow_data(runtime)
    s.at(20)
    with runtime.store.unit_of_work(s.pm) as uow:
        keys["S"] = portfolio.create_story(uow, StoryCreate(feature=keys["A"], title="Bay door")).key
    for n, key, to in ((21, "F", WorkState.ACTIVE), (23.25, "F", WorkState.DONE), (24, "D", WorkState.WAITING)):
        s.at(n).change(keys[key], to)
    for n, to in ((21.5, WorkState.ACTIVE), (22, WorkState.WAITING), (25.75, WorkState.DONE)):
        s.at(n)
        with runtime.store.unit_of_work(s.pm) as uow:
            portfolio.change_story_state(uow, keys["S"], StateChange(to=to))
    s.at(30)
    return s, keys


def test_the_hand_worked_data_sets_give_the_same_measures_both_ways(runtime: Runtime) -> None:
    s, keys = _extended(runtime)
    scopes: list[dict[str, str]] = [{}, {"team": "flight-software"}, {"epic": keys["main"]}, {"epic": keys["doomed"]}]
    compared = 0
    for start in range(-2, 29, 3):
        for end in range(start + 1, 31, 4):
            for scope in scopes:
                for level in WorkLevel:
                    by_facts, by_history = _both(s, start, end, level, **scope)
                    assert by_facts == by_history, (start, end, scope, level)
                    compared += bool(by_facts.completed or by_facts.wip_ages or by_facts.canceled)
    assert compared > 100  # the windows see completions, work in progress and cancellations


@pytest.mark.parametrize("level", list(WorkLevel))
def test_the_kept_facts_equal_those_folded_from_the_stored_history(runtime: Runtime, level: WorkLevel) -> None:
    s, _ = _extended(runtime)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        histories = {h.key: h for h in portfolio.work_item_histories(uow, level)}
        kept = portfolio.work_item_flows(uow, level, before=day(31))
    facts = [item for item in kept if isinstance(item, WorkItemFacts)]
    assert facts  # most items need no history
    for item in facts:
        history = histories[item.key]
        assert (item.state_changed_at, item.state) == history.states[-1]
        assert (item.started_at, item.active_seconds) == work_facts.from_history(history.states)[:2]
    reopened = [item.key for item in kept if isinstance(item, WorkItemHistory)]
    assert all(work_facts.from_history(histories[k].states).reopened or histories[k].epic_ended_at for k in reopened)
