"""In real Chromium, on the demo's store, the web's look: the active tab, every enabled button and every
link styled as a button meet WCAG AA contrast (4.5:1), computed from the styles the browser applied (the
text colour against the effective background, found by walking up through transparent ancestors); the
layout faults of issue 11 stay fixed; every error page is in the layout with the way back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import (
    DemoServer,
    low_contrast,
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
    "/telemetry",
    "/telemetry/services/flight-control",
    "/telemetry/explore?service=flight-control",
    "/account",
    "/admin/users",
    "/admin/audit",
]


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


@contextmanager
def _signed_in(browser: Browser, demo: DemoServer, username: str = "admin") -> Iterator[Page]:
    with watched_page(browser) as watched:
        sign_in(watched.page, demo.url, username, demo.password)
        yield watched.page
        refused = re.compile(r"status of (403|404|405) ")  # the error pages the tests open on purpose
        assert not [e for e in watched.take_errors() if not refused.search(e)], "console errors"


def test_the_epic_timeline_reads_as_one_line_per_entry(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo) as page:
        page.goto(demo.url + "/portfolio/epics/EPIC-1")
        go = re.compile(r"board\s+decided go: The business case holds")
        decision = page.locator(".timeline li.decision").filter(has_text=go)
        expect(decision).to_contain_text(go)
        expect(page.locator(".timeline li.decision").first).to_contain_text("decided persevere")  # the newest
        time_box, body_box = decision.locator("time").bounding_box(), decision.locator("time + div").bounding_box()
        pill = decision.locator(".badge").bounding_box()
        assert time_box and body_box and pill
        assert body_box["x"] > time_box["x"] + time_box["width"], "what happened sits beside its date"
        assert abs(body_box["y"] - time_box["y"]) < 8, "and on the same line"
        assert pill["width"] < 60, f"the decision pill fits its word ({pill['width']} px)"
        for text in page.locator(".timeline li > div").all_inner_texts():
            assert not text.startswith(":"), text


def test_the_board_says_the_implementing_limit_is_shared(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo) as page:
        page.goto(demo.url + "/portfolio")
        mvp = page.locator('.kanban-column[data-column="implementing:mvp"]')
        expect(mvp.locator(".wip")).to_have_text(re.compile(r"\d+ / 5"))
        expect(mvp.locator(".shared")).to_have_text("limit shared with Implementing: Persevere")


def test_the_flag_chart_shows_every_day_and_keeps_its_legend_clear(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo) as page:
        page.goto(demo.url + "/releases/flight-control/flags/heavy-lift-mode")
        option = json.loads(page.locator("[data-echarts]").get_attribute("data-echarts") or "{}")
        assert len(option["xAxis"]["data"]) >= 7, "a 7-day window shows a bar slot for each day"
        legend = page.locator("[data-echarts] svg text", has_text=re.compile(r"^on$")).bounding_box()
        axis_name = page.locator("[data-echarts] svg text", has_text="evaluations per day").bounding_box()
        assert legend and axis_name
        apart = legend["x"] > axis_name["x"] + axis_name["width"] or legend["y"] + legend["height"] <= axis_name["y"]
        assert apart, f"the legend overlaps the axis name: {legend} {axis_name}"


def test_the_indicator_query_stays_readable_on_a_phone(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(demo.url + "/portfolio/epics/EPIC-1")
        cell = page.locator("td.query").first.bounding_box()
        assert cell and cell["width"] >= 200, f"the query column is {cell} wide"


def test_error_pages_are_in_the_layout_with_the_way_back(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo, "platform") as page:
        page.goto(demo.url + "/portfolio")
        response = page.goto(demo.url + "/portfolio/epics/EPIC-999", referer=demo.url + "/portfolio")
        assert response and response.status == 404
        expect(page.get_by_role("heading", level=1, name="Not found")).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        page.get_by_role("link", name="Back to where you were").click()
        expect(page).to_have_url(demo.url + "/portfolio")

        response = page.goto(demo.url + "/admin/audit")  # the platform role may not read the audit log
        assert response and response.status == 403
        expect(page.get_by_role("heading", level=1, name="Not allowed")).to_be_visible()
        expect(page.get_by_text("You are signed in as Pia Platform (platform).")).to_be_visible()
        page.get_by_role("link", name="Users").last.click()
        expect(page).to_have_url(demo.url + "/admin/users")

        response = page.goto(demo.url + "/portfolio/epics/EPIC-1/move")  # a form's address, opened
        assert response and response.status == 405
        expect(page.get_by_role("heading", level=1, name="Not possible here")).to_be_visible()
        page.get_by_role("link", name="Portfolio: start page").click()
        expect(page.get_by_role("heading", level=1, name="Portfolio")).to_be_visible()

        response = page.goto(demo.url + "/git/no-such-repository.git")
        assert response and response.status == 404 and "text/html" in response.headers["content-type"]
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        expect(page.get_by_role("link", name="The service catalog")).to_be_visible()


def test_built_areas_have_start_pages_and_the_icon_answers(demo: DemoServer, browser: Browser) -> None:
    with _signed_in(browser, demo) as page:
        page.goto(demo.url + "/area/insights")  # every area is built: its old address leads to its start page
        expect(page).to_have_url(demo.url + "/insights")
        expect(page.get_by_role("heading", level=1, name="Insights")).to_be_visible()
        assert page.locator('link[rel="icon"]').get_attribute("href") == "/static/favicon.svg"
        icon = page.request.get(demo.url + "/favicon.ico")
        assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.text().lstrip().startswith("<svg")
