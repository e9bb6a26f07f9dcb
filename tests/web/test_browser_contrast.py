"""In real Chromium, on the demo's store: the active tab, every enabled button and every link styled as a
button meet WCAG AA contrast (4.5:1), computed from the styles the browser applied (the text colour
against the effective background, found by walking up through transparent ancestors)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import (
    DemoServer,
    chromium_browser,
    chromium_or_skip,
    low_contrast,
    serve_demo,
    sign_in,
    watched_page,
)

pytestmark = pytest.mark.browser

# Every page with tabs (each tab once, so each one is the active tab once), and the main pages.
TABBED = [
    "/portfolio",
    "/portfolio/backlog",
    "/portfolio/epics",
    "/portfolio/themes",
    "/portfolio/settings",
    "/portfolio/import",
    "/platform",
    "/platform/fleet",
    "/platform/scorecards",
    "/releases/flight-control/flags/heavy-lift-mode",
    "/releases/flight-control/flags/heavy-lift-mode?env=staging",
]
MAIN = [
    "/",
    "/portfolio/epics/EPIC-1",
    "/product",
    "/product/features/FEAT-1",
    "/teams",
    "/catalog",
    "/platform/onboard",
    "/delivery",
    "/delivery/services/flight-control",
    "/releases",
    "/releases/flight-control",
    "/area/telemetry",
    "/account",
    "/admin/users",
    "/admin/audit",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[DemoServer]:
    root = tmp_path_factory.mktemp("contrast-demo")
    shutil.copy(sqlite_template, root / "factory.db")
    with serve_demo(root / "home", f"sqlite:///{root / 'factory.db'}") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser(chromium_or_skip()) as opened:
        yield opened


def test_the_active_tab_and_every_button_meet_wcag_aa(demo: DemoServer, browser: Browser) -> None:
    failures: dict[str, list[str]] = {}
    with watched_page(browser) as watched:
        page = watched.page
        sign_in(page, demo.url, "admin", demo.password)
        for path in TABBED + MAIN:
            response = page.goto(demo.url + path)
            assert response is not None and response.status == 200, path
            page.wait_for_load_state("networkidle")
            if path in TABBED:
                active = page.locator('.tabs a[aria-current="page"]')
                assert active.count() == 1, f"{path}: no active tab"
            if problems := low_contrast(page):
                failures[path] = problems
    assert not failures, f"below 4.5:1 (WCAG AA): {failures}"


def test_the_check_catches_white_on_white(demo: DemoServer, browser: Browser) -> None:
    """The check itself: the invisible active tab of issue 11 (white text on a white tab) fails it."""
    with watched_page(browser) as watched:
        page = watched.page
        sign_in(page, demo.url, "admin", demo.password)
        page.goto(demo.url + "/portfolio")
        page.add_style_tag(content='.tabs a[aria-current="page"] { color: #fff; background: transparent; }')
        page.add_style_tag(content=".card, main, .content { background: #fff; }")
        assert any("Kanban" in problem for problem in low_contrast(page))
