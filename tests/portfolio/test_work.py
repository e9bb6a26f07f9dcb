"""Features under epics, stories under features, team backlogs and flow-state history."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.clock import FixedClock
from digital_factory.core.errors import Conflict, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.events import FeatureAssigned, WorkItemStateChanged
from digital_factory.portfolio.schemas import (
    BacklogOrder,
    FeatureCreate,
    FeatureUpdate,
    FlowItem,
    ScoreInput,
    StateChange,
    StoryCreate,
    StoryUpdate,
    WorkState,
)
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.factories import actor_of, make_user
from tests.portfolio.builders import epic, move, people


def _teams(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
        teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))


def _feature(runtime: Runtime, pm: Actor, epic_key: str, title: str, **fields: object) -> str:
    with runtime.store.unit_of_work(pm) as uow:
        return portfolio.create_feature(uow, FeatureCreate(epic=epic_key, title=title, **fields)).key  # type: ignore[arg-type]


def _story(runtime: Runtime, pm: Actor, feature: str, title: str, **fields: object) -> str:
    with runtime.store.unit_of_work(pm) as uow:
        return portfolio.create_story(uow, StoryCreate(feature=feature, title=title, **fields)).key  # type: ignore[arg-type]


def test_features_rank_by_wsjf_in_the_product_backlog(runtime: Runtime) -> None:
    _, pm = people(runtime)
    _teams(runtime)
    heavy = epic(runtime, pm)
    batteries = _feature(
        runtime,
        pm,
        heavy.key,
        "Bigger batteries",
        team="power-systems",
        benefit_hypothesis="Longer flights with heavy payloads",
        acceptance_criteria=["40 km with 25 kg", "charges in 2 h"],
        score=ScoreInput(user_business_value=13, time_criticality=8, risk_reduction=5, job_size=8),
    )
    software = _feature(
        runtime,
        pm,
        heavy.key,
        "Modified flight software",
        team="flight-software",
        score=ScoreInput(user_business_value=13, time_criticality=13, risk_reduction=8, job_size=5),
    )
    engines = _feature(runtime, pm, heavy.key, "Better engines", flow_item=FlowItem.FEATURE)
    with runtime.store.unit_of_work(pm, write=False) as uow:
        ranked = portfolio.product_backlog(uow, heavy.key)
        detail = portfolio.get_feature(uow, batteries)
        by_team = portfolio.list_features(uow, PageRequest(), team="power-systems")
        card = portfolio.get_epic(uow, heavy.key)
    assert [f.key for f in ranked] == [software, batteries, engines]
    assert [(f.team, f.state) for f in ranked] == [
        ("flight-software", WorkState.NEW),
        ("power-systems", WorkState.NEW),
        (None, WorkState.NEW),
    ]
    assert detail.acceptance_criteria == ["40 km with 25 kg", "charges in 2 h"]
    assert detail.score is not None and detail.score.wsjf == pytest.approx(26 / 8)
    assert [f.key for f in by_team.items] == [batteries]
    assert card.feature_count == 3


def test_assigning_a_team_is_an_event_and_unknown_teams_are_refused(runtime: Runtime) -> None:
    _, pm = people(runtime)
    _teams(runtime)
    seen: list[FeatureAssigned] = []
    runtime.store.bus.subscribe(FeatureAssigned, seen.append)
    heavy = epic(runtime, pm)
    engines = _feature(runtime, pm, heavy.key, "Better engines")
    with pytest.raises(ValidationFailed) as unknown, runtime.store.unit_of_work(pm) as uow:
        portfolio.update_feature(uow, engines, FeatureUpdate(team="engines"))
    assert unknown.value.problems[0].field == "team"
    with runtime.store.unit_of_work(pm) as uow:
        portfolio.update_feature(uow, engines, FeatureUpdate(team="power-systems"))
        portfolio.update_feature(uow, engines, FeatureUpdate(title="Stronger engines"))
    assert [(e.key, e.epic_key, e.team_key) for e in seen] == [(engines, heavy.key, "power-systems")]
    with pytest.raises(ValidationFailed) as no_epic, runtime.store.unit_of_work(pm) as uow:
        portfolio.create_feature(uow, FeatureCreate(epic="EPIC-77", title="Orphan"))
    assert no_epic.value.problems[0].field == "epic"
    make_user(runtime, "vic", Role.VIEWER)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "vic")) as uow:
        portfolio.create_feature(uow, FeatureCreate(epic=heavy.key, title="Nope"))


def test_stories_flow_through_states_with_a_timestamped_history(runtime: Runtime) -> None:
    _, pm = people(runtime)
    _teams(runtime)
    clock = FixedClock(runtime.store.clock.now())
    runtime.store.clock = clock
    changes: list[WorkItemStateChanged] = []
    runtime.store.bus.subscribe(WorkItemStateChanged, changes.append)
    heavy = epic(runtime, pm)
    software = _feature(runtime, pm, heavy.key, "Modified flight software", team="flight-software")
    story = _story(runtime, pm, software, "Payload-aware flight envelope", points=5)
    with runtime.store.unit_of_work(pm, write=False) as uow:
        assert portfolio.get_story(uow, story).team == "flight-software"  # inherited from the feature
    for to, hours in ((WorkState.ACTIVE, 2), (WorkState.WAITING, 24), (WorkState.ACTIVE, 3), (WorkState.DONE, 1)):
        clock.advance(timedelta(hours=hours))
        with runtime.store.unit_of_work(pm) as uow:
            portfolio.change_story_state(uow, story, StateChange(to=to, reason=f"to {to}"))
    with pytest.raises(Conflict) as refused, runtime.store.unit_of_work(pm) as uow:
        portfolio.change_story_state(uow, story, StateChange(to=WorkState.WAITING))
    assert refused.value.rule == "transition-not-allowed"
    with runtime.store.unit_of_work(pm, write=False) as uow:
        story_history = portfolio.work_history(uow, story)
        feature_history = portfolio.work_history(uow, software)
        feature = portfolio.get_feature(uow, software)
    assert [(h.from_state, h.to_state) for h in story_history] == [
        (None, WorkState.NEW),
        (WorkState.NEW, WorkState.ACTIVE),
        (WorkState.ACTIVE, WorkState.WAITING),
        (WorkState.WAITING, WorkState.ACTIVE),
        (WorkState.ACTIVE, WorkState.DONE),
    ]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(story_history)]
    assert gaps == [timedelta(hours=h) for h in (2, 24, 3, 1)]
    # the first story to start starts its feature
    assert [(h.to_state, h.reason) for h in feature_history] == [
        (WorkState.NEW, "created"),
        (WorkState.ACTIVE, f"{story} started"),
    ]
    assert (feature.state, feature.story_count, feature.stories_done) == (WorkState.ACTIVE, 1, 1)
    assert [(c.item_type, c.to_state) for c in changes][:2] == [("story", "active"), ("feature", "active")]


def test_team_backlogs_are_ordered_and_reordered(runtime: Runtime) -> None:
    _, pm = people(runtime)
    _teams(runtime)
    heavy = epic(runtime, pm)
    software = _feature(runtime, pm, heavy.key, "Modified flight software", team="flight-software")
    batteries = _feature(runtime, pm, heavy.key, "Bigger batteries", team="power-systems")
    a, b, c = (_story(runtime, pm, software, title) for title in ("A", "B", "C"))
    _story(runtime, pm, batteries, "Cell chemistry")
    with runtime.store.unit_of_work(pm) as uow:
        portfolio.change_story_state(uow, b, StateChange(to=WorkState.ACTIVE))
        backlog = portfolio.reorder_backlog(uow, "flight-software", BacklogOrder(stories=[c, a]))
    assert [s.key for s in backlog.stories] == [c, b, a]  # b kept its place between them
    with pytest.raises(ValidationFailed) as foreign, runtime.store.unit_of_work(pm) as uow:
        portfolio.reorder_backlog(uow, "flight-software", BacklogOrder(stories=["STORY-4", a]))
    assert "STORY-4" in foreign.value.detail
    with runtime.store.unit_of_work(pm) as uow:
        moved = portfolio.update_story(uow, a, StoryUpdate(team="power-systems"))
        power = portfolio.team_backlog(uow, "power-systems")
    assert moved.team == "power-systems"
    assert [s.title for s in power.stories] == ["Cell chemistry", "A"]  # joins at the end


def test_no_features_for_a_done_epic(runtime: Runtime) -> None:
    board, pm = people(runtime)
    made = epic(runtime, pm)
    move(runtime, board, made.key, "done", done_reason="rejected")
    with pytest.raises(Conflict) as done, runtime.store.unit_of_work(pm) as uow:
        portfolio.create_feature(uow, FeatureCreate(epic=made.key, title="Too late"))
    assert done.value.rule == "epic-done"
