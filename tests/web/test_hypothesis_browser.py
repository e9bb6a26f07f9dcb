"""In real Chromium: an indicator crosses its target as business data arrives, and the epic page and the
portfolio card say so on the next load; the board's decision keeps the evidence the page showed."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import KeyResultSpec, ThemeCreate
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, actor_of, make_user
from tests.insights.hypotheses_world import UNITS, sell, units
from tests.portfolio.builders import move, ready_epic, update
from tests.telemetry.builders import make_service

pytestmark = pytest.mark.browser


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: FACTORY_TEST_SCREENSHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("FACTORY_TEST_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_an_indicator_turns_validated_on_the_epic_page_and_the_card(
    live_server: LiveServer, page: Page, shots: Path
) -> None:
    runtime = live_server.runtime
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    make_service(runtime)
    key = ready_epic(runtime, board).key  # indicator: heavy-lift units sold, 0 → 50
    move(runtime, board, key, "implementing")
    sell(runtime, 12, 8)  # 20 of 50
    sign_in(page, live_server.url, "bea", DEFAULT_PASSWORD)

    page.goto(f"{live_server.url}/portfolio/epics/{key}")
    row = page.get_by_test_id("indicator-row")
    expect(row.get_by_test_id("indicator-observed")).to_have_text("20")
    expect(row.get_by_test_id("indicator-status")).to_have_text("on track")
    expect(page.get_by_test_id("hypothesis-recommendation")).to_have_text("pivot")
    expect(page.get_by_test_id("indicator-chart").locator("svg")).to_have_count(1)
    page.screenshot(path=str(shots / "hypothesis-epic-on-track.png"), full_page=True)
    page.goto(f"{live_server.url}/portfolio")
    card = page.locator(f'.kanban-card[data-key="{key}"]')
    expect(card.get_by_test_id("card-hypothesis")).to_contain_text("on track")

    sell(runtime, 40)  # 60 ≥ 50: the target is crossed
    page.reload()
    expect(card.get_by_test_id("card-hypothesis")).to_contain_text("validated")
    expect(card.get_by_test_id("card-hypothesis")).to_contain_text("persevere")
    page.screenshot(path=str(shots / "hypothesis-board-validated.png"), full_page=True)
    page.get_by_role("link", name="hypotheses under test").click()
    expect(page.get_by_test_id("hypothesis-row")).to_contain_text("validated")
    page.screenshot(path=str(shots / "hypothesis-overview.png"), full_page=True)
    page.goto(f"{live_server.url}/portfolio/epics/{key}")
    expect(row.get_by_test_id("indicator-observed")).to_have_text("60")
    expect(row.get_by_test_id("indicator-status")).to_have_text("validated")
    expect(page.get_by_test_id("hypothesis-status")).to_have_text("validated")
    page.locator("summary", has_text="Table view").click()
    expect(page.locator("figure.indicator-chart table")).to_be_visible()

    sell(runtime, 100)  # after the page was loaded: the decision keeps what the page showed (60)
    page.get_by_label("Decision").select_option("persevere")
    page.get_by_label("Rationale").fill("Selling faster than planned")
    page.get_by_role("button", name="Record decision").click()
    evidence = page.get_by_test_id("decision-evidence")
    expect(evidence).to_contain_text("60")
    expect(evidence).to_contain_text("validated")
    expect(page.get_by_test_id("decision")).to_contain_text("Selling faster than planned")
    expect(row.get_by_test_id("indicator-observed")).to_have_text("160")  # the live value moved on
    page.screenshot(path=str(shots / "hypothesis-epic-decided.png"), full_page=True)
    with runtime.store.unit_of_work(board, write=False) as uow:
        kept = portfolio.list_decisions(uow, key)[-1]
    assert kept.kind == "persevere"
    assert kept.evaluation is not None
    assert [(i.observed, i.status) for i in kept.evaluation.indicators] == [(60.0, "validated")]


def test_key_results_and_rescore_suggestions_in_chromium(live_server: LiveServer, page: Page, shots: Path) -> None:
    runtime = live_server.runtime
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    make_service(runtime)
    with runtime.store.unit_of_work(board) as uow:
        portfolio.create_theme(
            uow,
            ThemeCreate(
                objective="Lead heavy-lift logistics",
                key_results=[
                    KeyResultSpec(
                        description="Heavy-lift units", metric_query=UNITS, baseline=0, target=80, unit="units"
                    ),
                    KeyResultSpec(description="Partners signed", target=5),
                ],
            ),
        )
    key = ready_epic(runtime, board).key  # user-business value 20
    move(runtime, board, key, "implementing")
    update(runtime, board, key, leading_indicators=[units(50, deadline=date.today() - timedelta(days=2))])
    sell(runtime, 20, hours_ago=24 * 4)
    sign_in(page, live_server.url, "bea", DEFAULT_PASSWORD)

    page.goto(f"{live_server.url}/portfolio/themes")
    current = page.locator("section#THEME-1").get_by_test_id("kr-current")
    expect(current.first).to_have_text("Now: 20 units, 25 % of the way (1 sample)")
    expect(current.nth(1)).to_contain_text("no metric query")
    page.screenshot(path=str(shots / "hypothesis-themes.png"), full_page=True)

    page.goto(f"{live_server.url}/portfolio/backlog")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text(key)
    expect(suggestion).to_contain_text("lower the value")
    expect(suggestion).to_contain_text("invalidated")
    page.screenshot(path=str(shots / "hypothesis-backlog.png"), full_page=True)
    page.goto(f"{live_server.url}/portfolio/epics/{key}")
    expect(page.get_by_test_id("indicator-status")).to_have_text("invalidated")
    expect(page.get_by_test_id("hypothesis-status")).to_have_text("invalidated")
    expect(page.get_by_test_id("hypothesis-recommendation")).to_have_text("pivot")  # 40 % > θ_stop 30 %
