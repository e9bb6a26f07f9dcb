"""Flow metrics on a hand-worked data set (features moved through states with the clock set).

Window [day 10, day 20), read on day 30. Features, all made on day 0 (team flight-software):
A feature  active d2, waiting d12, active d14, done d16  -> flow 14 d, active 10 + 2 = 12 d
B defect   active d11, done d13                          -> flow 2 d, active 2 d
C risk     waiting d5 (still)                            -> WIP at the end, age 15 d
D feature  new (never started)
E debt     active d15; its epic ended no-go on d18       -> canceled d18 (other epic)
F feature  active d1, done d3                            -> done before the window
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import FlowMetrics, FlowState, FlowType
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import StateChange, StoryCreate, WorkLevel, WorkState
from tests.insights.flow_builders import Script, day, flow_data

DAYS = 86400.0


def _metrics(s: Script, start: int, end: int, **scope: str) -> FlowMetrics:
    query = insights.FlowQuery(team=scope.get("team"), value_stream=scope.get("value_stream"), epic=scope.get("epic"))
    with s.runtime.store.unit_of_work(s.reader(), write=False) as uow:
        return insights.flow_metrics(uow, query, start=day(start), end=day(end))


def test_the_five_measures_equal_the_hand_worked_values(runtime: Runtime) -> None:
    s, keys = flow_data(runtime)
    m = _metrics(s, 10, 20, team="flight-software")
    assert m.velocity == 2
    assert {v.flow_type: (v.count, v.share) for v in m.velocity_by_type} == {
        FlowType.FEATURE: (1, 0.5),
        FlowType.DEFECT: (1, 0.5),
        FlowType.RISK: (0, 0.0),
        FlowType.DEBT: (0, 0.0),
    }
    assert [c.key for c in m.completed] == [keys["B"], keys["A"]]
    assert (m.flow_time_median_seconds, m.flow_time_p85_seconds, m.flow_time_sample) == (8 * DAYS, 14 * DAYS, 2)
    # load: A days 10-15 (6 samples), B 11-12 (2), C 10-19 (10), E 15-17 (3) = 21 over 10 daily samples
    assert (m.load_average, m.load_samples) == (2.1, 10)
    assert m.wip == 1  # C; E was canceled on day 18
    assert {v.flow_type: v.share for v in m.wip_by_type}[FlowType.RISK] == 1.0
    assert (m.wip_age_median_seconds, m.wip_age_max_seconds) == (15 * DAYS, 15 * DAYS)
    assert (m.active_seconds, m.flow_seconds) == (14 * DAYS, 16 * DAYS)
    assert m.efficiency == 14 / 16
    assert m.canceled == 1


def test_epic_scope_sees_the_canceled_item_leave_the_load(runtime: Runtime) -> None:
    s, keys = flow_data(runtime)
    m = _metrics(s, 10, 20, epic=keys["doomed"])
    assert (m.velocity, m.canceled, m.wip) == (0, 1, 0)
    assert m.load_average == pytest.approx(0.3)  # E on days 15, 16, 17 of ten samples
    assert (m.flow_time_median_seconds, m.flow_time_sample, m.efficiency) == (None, 0, None)


def test_an_empty_period_has_no_figures_and_sample_sizes_of_zero(runtime: Runtime) -> None:
    s, _ = flow_data(runtime)
    m = _metrics(s, -10, 0)
    assert (m.velocity, m.flow_time_median_seconds, m.flow_time_p85_seconds, m.flow_time_sample) == (0, None, None, 0)
    assert (m.load_average, m.load_samples, m.wip, m.wip_age_median_seconds) == (0.0, 10, 0, None)
    assert m.efficiency is None
    assert all(v.share is None for v in m.velocity_by_type)


def test_a_new_transition_shows_on_the_next_read(runtime: Runtime) -> None:
    s, keys = flow_data(runtime)
    assert _metrics(s, 10, 20, team="flight-software").wip == 1
    s.at(19).change(keys["D"], WorkState.ACTIVE)
    s.at(30)
    m = _metrics(s, 10, 20, team="flight-software")
    assert (m.wip, m.load_average) == (2, 2.2)


def test_the_cumulative_flow_diagram_counts_items_per_state_per_day(runtime: Runtime) -> None:
    s, _ = flow_data(runtime)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        cfd = insights.cumulative_flow(uow, insights.FlowQuery(), start=day(10), end=day(13))
    rows = [
        [d.counts[state] for state in (FlowState.NEW, FlowState.WAITING, FlowState.ACTIVE, FlowState.DONE)]
        for d in cfd.days
    ]
    assert [d.at for d in cfd.days] == [day(10), day(11), day(12)]
    assert rows == [[3, 1, 1, 1], [2, 1, 2, 1], [2, 2, 1, 1]]
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        later = insights.cumulative_flow(uow, insights.FlowQuery(), start=day(18), end=day(19))
    assert later.days[0].counts[FlowState.CANCELED] == 1


def test_stories_are_counted_on_their_own_level(runtime: Runtime) -> None:
    s, keys = flow_data(runtime)
    s.at(10)
    with runtime.store.unit_of_work(s.pm) as uow:
        story = portfolio.create_story(uow, StoryCreate(feature=keys["A"], title="Bay door")).key
    for n, to in ((11, WorkState.ACTIVE), (12.5, WorkState.DONE)):
        s.at(n)
        with runtime.store.unit_of_work(s.pm) as uow:
            portfolio.change_story_state(uow, story, StateChange(to=to))
    s.at(30)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        m = insights.flow_metrics(uow, insights.FlowQuery(level=WorkLevel.STORY), start=day(10), end=day(20))
    assert (m.velocity, m.flow_time_median_seconds, m.load_average) == (1, 1.5 * DAYS, 0.2)  # samples d11, d12
    assert m.scope.level == WorkLevel.STORY


@pytest.mark.parametrize(
    ("scope", "start", "end", "field"),
    [
        ({"team": "nobody"}, 10, 20, "team"),
        ({"epic": "EPIC-999"}, 10, 20, "epic"),
        ({"value_stream": "nowhere"}, 10, 20, "value_stream"),
        ({"team": "flight-software", "epic": "EPIC-1"}, 10, 20, "epic"),
        ({}, 20, 10, "start"),
        ({}, -2000, 20, "start"),
    ],
)
def test_bad_input_names_the_field(runtime: Runtime, scope: dict[str, str], start: int, end: int, field: str) -> None:
    s, _ = flow_data(runtime)
    with pytest.raises(ValidationFailed) as refused:
        _metrics(s, start, end, **scope)
    assert refused.value.problems[0].field == field


def test_the_window_never_reaches_past_now(runtime: Runtime) -> None:
    s, _ = flow_data(runtime)
    m = _metrics(s, 25, 40)
    assert (m.end, m.load_samples) == (day(30), 5)
    assert m.end - m.start == timedelta(days=5)
