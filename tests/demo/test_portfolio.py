"""The demo's portfolio step: the drone company's strategy and portfolio, played through the services."""

from __future__ import annotations

import itertools

from digital_factory.app.factory import Runtime, prepare_store
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.demo import portfolio as demo_portfolio
from digital_factory.demo.story import play
from digital_factory.portfolio import service as portfolio
from digital_factory.teams import service as teams


def test_the_demo_holds_the_heavy_lift_story(runtime: Runtime) -> None:
    prepare_store(runtime)
    started = runtime.store.clock.now()
    titles: list[str] = []
    play(runtime, "demo password for tests", titles.append)
    assert any("portfolio" in title for title in titles)
    assert runtime.store.clock.now() >= started  # the real clock is back

    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        themes = portfolio.list_themes(uow)
        board = portfolio.board(uow)
        heavy = portfolio.get_epic(uow, "EPIC-1")
        features = portfolio.product_backlog(uow, heavy.key)
        history = portfolio.list_transitions(uow, heavy.key)
        flight = portfolio.team_backlog(uow, "flight-software")
        power = portfolio.team_backlog(uow, "power-systems")
        team_keys = [t.key for t in teams.list_teams(uow, PageRequest()).items]

    assert len(themes) == 3 and all(t.key_results for t in themes)
    assert heavy.title == demo_portfolio.HEAVY_LIFT and heavy.column == "implementing:mvp"
    assert heavy.hypothesis.complete and heavy.business_case is not None
    assert [i.name for i in heavy.leading_indicators] == [
        "Heavy-lift units sold",
        "Payload flight success rate",
        "Customer satisfaction",
    ]
    assert {f.title: f.team for f in features} == {
        "Modified flight software": "flight-software",
        "Bigger batteries": "power-systems",
        "Better engines": "engines",  # the team the platform onboarded for it (a later step)
    }
    assert sorted(team_keys) == ["engines", "flight-software", "platform", "power-systems"]
    keys = {f.title: f.key for f in features}
    assert {s.feature for s in flight.stories} == {keys["Modified flight software"]}
    assert {s.feature for s in power.stories} == {keys["Bigger batteries"]}
    assert {s.state for s in flight.stories} == {"new", "active", "done"}
    # a realistic history: in time order, spread over months, before today
    assert [t.to_column for t in history] == ["funnel", "reviewing", "analyzing", "ready", "implementing:mvp"]
    assert all(a.at < b.at for a, b in itertools.pairwise(history))
    assert (history[-1].at - history[0].at).days >= 50 and history[-1].at < started
    # every column of the kanban holds something
    assert all(column.count > 0 for column in board.columns), [(c.id, c.count) for c in board.columns]
