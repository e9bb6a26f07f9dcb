"""In real Chromium: drag epics on the portfolio kanban and stories on a team board."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.core.actor import Actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicState, FeatureCreate, KanbanConfigUpdate, StoryCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, actor_of, make_user
from tests.portfolio.builders import epic, move, ready_epic

pytestmark = pytest.mark.browser


def drag(page: Page, card: Locator, target: Locator) -> None:
    """A real mouse drag (SortableJS runs in fallback mode, which follows mouse events)."""
    start = card.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 40), steps=15)
    page.mouse.up()


def column(page: Page, column_id: str) -> Locator:
    return page.locator(f'.kanban-list[data-column="{column_id}"]')


def analyzing_epic(server: LiveServer, board: Actor, title: str) -> str:
    """An epic in Analyzing that passes every gate into Ready."""
    made = ready_epic(server.runtime, board, title)
    move(server.runtime, board, made.key, "analyzing")
    return made.key


def test_drag_an_epic_from_analyzing_to_ready_and_it_stays(live_server: LiveServer, page: Page) -> None:
    make_user(live_server.runtime, "bea", Role.BOARD)
    board = actor_of(live_server.runtime, "bea")
    key = analyzing_epic(live_server, board, "Heavy-lift drones")
    sign_in(page, live_server.url, "bea", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/portfolio")
    card = page.locator(f'.kanban-card[data-key="{key}"]')
    expect(column(page, "analyzing").locator(card)).to_have_count(1)

    drag(page, card, column(page, "ready"))
    expect(page.get_by_role("status")).to_contain_text(f"{key} moved to Ready")
    expect(column(page, "ready").locator(f'[data-key="{key}"]')).to_have_count(1)
    expect(page.locator('.kanban-column[data-column="ready"] [data-count]')).to_have_text("1")

    page.reload()
    expect(column(page, "ready").locator(f'[data-key="{key}"]')).to_have_count(1)
    expect(column(page, "analyzing").locator(f'[data-key="{key}"]')).to_have_count(0)
    with live_server.runtime.store.unit_of_work(board, write=False) as uow:
        history = portfolio.list_transitions(uow, key)
    assert (history[-1].from_column, history[-1].to_column, history[-1].actor_name) == ("analyzing", "ready", "bea")

    page.set_viewport_size({"width": 390, "height": 844})  # on a phone the columns stack
    for path in ("/portfolio", f"/portfolio/epics/{key}", "/portfolio/backlog", f"/portfolio/epics/{key}/edit"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"


def test_a_full_column_refuses_the_card_and_explains_why(live_server: LiveServer, page: Page) -> None:
    make_user(live_server.runtime, "bea", Role.BOARD)
    make_user(live_server.runtime, "paul", Role.PRODUCT)
    board = actor_of(live_server.runtime, "bea")
    key = analyzing_epic(live_server, board, "Waiting for room")
    ready_epic(live_server.runtime, board, "Already ready")
    with live_server.runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits={EpicState.READY: 1}))
    sign_in(page, live_server.url, "paul", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/portfolio")
    expect(page.locator('.kanban-column[data-column="ready"]')).to_have_class("kanban-column full")

    drag(page, page.locator(f'.kanban-card[data-key="{key}"]'), column(page, "ready"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("Refused")
    expect(status).to_contain_text("Ready is at its WIP limit (1 of 1)")
    expect(status.get_by_role("button", name="Override and move")).to_have_count(0)  # product cannot override
    expect(column(page, "analyzing").locator(f'[data-key="{key}"]')).to_have_count(1)
    expect(column(page, "ready").locator(f'[data-key="{key}"]')).to_have_count(0)
    page.reload()
    expect(column(page, "analyzing").locator(f'[data-key="{key}"]')).to_have_count(1)


def test_the_board_overrides_a_full_column_with_a_reason(live_server: LiveServer, page: Page) -> None:
    make_user(live_server.runtime, "bea", Role.BOARD)
    board = actor_of(live_server.runtime, "bea")
    key = analyzing_epic(live_server, board, "Urgent")
    ready_epic(live_server.runtime, board, "Already ready")
    with live_server.runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits={EpicState.READY: 1}))
    sign_in(page, live_server.url, "bea", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/portfolio")
    drag(page, page.locator(f'.kanban-card[data-key="{key}"]'), column(page, "ready"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("WIP limit")
    status.get_by_label("Reason to pass the WIP limit").fill("the customer signed")
    status.get_by_role("button", name="Override and move").click()
    expect(status).to_contain_text(f"{key} moved to Ready")
    expect(column(page, "ready").locator(f'[data-key="{key}"]')).to_have_count(1)
    with live_server.runtime.store.unit_of_work(board, write=False) as uow:
        last = portfolio.list_transitions(uow, key)[-1]
    assert last.wip_override and "the customer signed" in last.reason


def test_dropping_on_done_asks_for_the_reason(live_server: LiveServer, page: Page) -> None:
    make_user(live_server.runtime, "bea", Role.BOARD)
    board = actor_of(live_server.runtime, "bea")
    made = epic(live_server.runtime, board, "Consumer selfie drone")
    sign_in(page, live_server.url, "bea", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/portfolio")
    drag(page, page.locator(f'.kanban-card[data-key="{made.key}"]'), column(page, "done"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("done-needs-reason")
    status.get_by_label("Done reason").select_option("rejected")
    status.get_by_role("button", name="Move to Done").click()
    expect(status).to_contain_text(f"{made.key} moved to Done")
    page.goto(live_server.url + f"/portfolio/epics/{made.key}")
    expect(page.get_by_test_id("epic-column")).to_have_text("Done (rejected)")
    expect(page.locator(".timeline")).to_contain_text("decided no-go")


def test_a_team_reorders_its_backlog_and_starts_a_story(live_server: LiveServer, page: Page) -> None:
    runtime = live_server.runtime
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "fiona", Role.TEAM)
    make_user(runtime, "bea", Role.BOARD)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
    heavy = epic(runtime, actor_of(runtime, "bea"))
    fiona = actor_of(runtime, "fiona")
    with runtime.store.unit_of_work(fiona) as uow:
        feature = portfolio.create_feature(
            uow, FeatureCreate(epic=heavy.key, title="Flight software", team="flight-software")
        )
        first = portfolio.create_story(uow, StoryCreate(feature=feature.key, title="Envelope")).key
        second = portfolio.create_story(uow, StoryCreate(feature=feature.key, title="Gusts")).key
    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/product/teams/flight-software")
    new = column(page, "new")
    expect(new.locator(".kanban-card")).to_have_count(2)

    drag(page, page.locator(f'.kanban-card[data-key="{second}"]'), page.locator(f'.kanban-card[data-key="{first}"]'))
    expect(page.get_by_role("status")).to_contain_text("Backlog order saved")
    drag(page, page.locator(f'.kanban-card[data-key="{first}"]'), column(page, "active"))
    expect(page.get_by_role("status")).to_contain_text(f"{first} is active")

    page.reload()
    expect(column(page, "active").locator(f'[data-key="{first}"]')).to_have_count(1)
    with runtime.store.unit_of_work(fiona, write=False) as uow:
        backlog = portfolio.team_backlog(uow, "flight-software")
        assert [s.key for s in backlog.stories] == [second, first]
        assert portfolio.get_feature(uow, feature.key).state == "active"
