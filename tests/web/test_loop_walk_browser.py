"""The loop walked in Chromium on the demo (`factory demo --fast`'s story), by the web UI's tour: board →
epic → features → the engines team and its service → a green pipeline → the prod approval → the flag
rollout → live telemetry → the indicator validated → the board pack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import DemoServer, low_contrast, sign_in, watched_page

pytestmark = pytest.mark.browser
TEXT = ".tour-bar p, .tour-bar a, th, td, .badge"


@pytest.fixture
def page(browser: Browser, demo: DemoServer) -> Iterator[Page]:
    with watched_page(browser) as watched:
        sign_in(watched.page, demo.url, "board", demo.password)
        yield watched.page
        assert watched.take_errors() == [], "console errors"


def _next(page: Page, number: int, path: str) -> None:
    """Follow the tour bar's Next link to stop `number` and check where it led."""
    page.get_by_test_id("tour-bar").get_by_role("link", name=re.compile("^Next")).click()
    expect(page).to_have_url(re.compile(re.escape(path) + rf"\?tour={number}$"))
    expect(page.get_by_test_id("tour-bar")).to_contain_text(f"Tour · {number} of 11")
    assert not low_contrast(page, TEXT)


def test_a_visitor_walks_the_loop_on_the_tour(page: Page, demo: DemoServer, tmp_path: Path) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tour").click()
    page.get_by_role("link", name="Start the tour").click()
    expect(page).to_have_url(demo.url + "/portfolio?tour=1")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="EPIC-1 Heavy-lift drones"))
    expect(card).to_contain_text("validated")  # the board's bet, evaluated on the card

    _next(page, 2, "/portfolio/epics/EPIC-1")
    indicators = page.locator("table", has_text="Heavy-lift units sold").first
    expect(indicators.locator("tr", has_text="Heavy-lift units sold")).to_contain_text("validated")
    loop = page.get_by_test_id("loop")
    for part in ("FEAT-1", "FEAT-2", "FEAT-3", "engines", "flight-control", "heavy-lift-mode", "INC-1"):
        expect(loop).to_contain_text(part)

    _next(page, 3, "/product/features/FEAT-3")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Better engines")
    expect(page.get_by_test_id("loop")).to_contain_text("engine-control")

    _next(page, 4, "/teams/engines")
    expect(page.get_by_role("link", name=re.compile("engine-control|Engine control")).first).to_be_visible()

    _next(page, 5, "/platform")
    expect(page.locator("main")).to_contain_text("engines")  # the onboarding that made the team

    _next(page, 6, "/delivery/services/flight-control")
    main = page.locator("main")
    expect(main.get_by_text("succeeded").first).to_be_visible()  # a green pipeline's deployments
    expect(main.locator(".card", has_text="prod")).to_contain_text(re.compile(r"approved by (engines|power)"))

    _next(page, 7, "/releases/flight-control/flags/heavy-lift-mode")
    expect(page.locator("main")).to_contain_text("100")  # the rollout reached the whole fleet
    expect(page.locator("main")).to_contain_text("50")

    _next(page, 8, "/telemetry/services/flight-control")
    expect(page.locator("main")).to_contain_text("Requests/min")

    _next(page, 9, "/insights/hypotheses")
    row = page.locator("tr, li, article", has_text="Heavy-lift drones").first
    expect(row).to_contain_text("validated")

    _next(page, 10, "/insights/dora")
    _next(page, 11, "/insights/board")
    with page.expect_download() as download:
        page.get_by_test_id("download-pack").click()
    saved = tmp_path / "pack.html"
    download.value.save_as(saved)
    pack = saved.read_text(encoding="utf-8")
    assert "EPIC-1" in pack and "persevere" in pack
    expect(page.get_by_test_id("tour-bar").get_by_role("link", name=re.compile("The end"))).to_be_visible()
