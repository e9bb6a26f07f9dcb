"""In real Chromium: the flow page shows the five measures, the cumulative flow diagram with its table,
and the value stream map with the slowest stage marked (data of tests/insights/test_leadtime.py)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.core.clock import SystemClock
from tests.browser import LiveServer, horizontal_overflow, low_contrast, sign_in
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.insights.leadtime_builders import epic_with_two_features

pytestmark = pytest.mark.browser
TEXT = "dl.figures dt, dl.figures dd, table caption, th, td, .vsm h3, .vsm .level, .vsm .figure, .vsm .flag, .muted"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshot goes: FACTORY_TEST_SCREENSHOTS to keep and look at it, else the test's tmp dir."""
    folder = Path(os.environ.get("FACTORY_TEST_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_flow_page_shows_measures_cfd_and_value_stream_map(
    live_server: LiveServer, page: Page, shots: Path
) -> None:
    start = (datetime.now(UTC) - timedelta(days=25)).replace(hour=0, minute=0, second=0, microsecond=0)
    epic_with_two_features(live_server.runtime, start)
    live_server.runtime.store.clock = SystemClock()
    make_user(live_server.runtime, "vic", Role.VIEWER)
    sign_in(page, live_server.url, "vic", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/insights/flow?value_stream=cargo&days=30")
    expect(page.get_by_role("heading", level=1, name="Flow")).to_be_visible()
    expect(page.get_by_test_id("velocity")).to_have_text("2")
    # F1 3 d -> 8 d and F2 3 d -> 6 d: median 4 d, 85th percentile 5 d; active 5 + 2 of 8 days
    expect(page.get_by_test_id("flow-time")).to_have_text("4.0 d · 5.0 d")
    expect(page.get_by_test_id("efficiency")).to_have_text("88 %")
    expect(page.get_by_test_id("cfd-chart").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("cfd-table").locator("tbody tr")).to_have_count(30)
    slowest = page.get_by_test_id("stage-feature-development")
    expect(slowest).to_contain_text("Slowest stage")
    expect(page.locator(".vsm li.slowest")).to_have_count(1)
    assert not low_contrast(page, TEXT)
    assert not low_contrast(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(shots / "insights_flow.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: nothing scrolls sideways
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(shots / "insights_flow_phone.png"), full_page=True)
    page.goto(f"{live_server.url}/insights/flow?team=nobody")
    expect(page.locator("#team-error")).to_contain_text("no team 'nobody'")
