"""In real Chromium: the epic page's loop section and the feature page's slice of it show the services
serving the work, their latest deployment per environment, the flags' exposure and the links on
(data of tests/insights/loop_world.py, its days counted back from today)."""

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
from tests.insights.loop_world import loop_world

pytestmark = pytest.mark.browser
TEXT = "#loop th, #loop td, #loop .muted, #loop dl.figures dt, #loop dl.figures dd, #loop .status, #loop .pill"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshot goes: FACTORY_TEST_SCREENSHOTS to keep and look at it, else the test's tmp dir."""
    folder = Path(os.environ.get("FACTORY_TEST_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_epic_and_feature_pages_show_their_loop(live_server: LiveServer, page: Page, shots: Path) -> None:
    start = (datetime.now(UTC) - timedelta(days=25)).replace(hour=0, minute=0, second=0, microsecond=0)
    w = loop_world(live_server.runtime, start)
    live_server.runtime.store.clock = SystemClock()
    make_user(live_server.runtime, "vic", Role.VIEWER)
    sign_in(page, live_server.url, "vic", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/portfolio/epics/{w.epic}")
    loop = page.get_by_test_id("loop")
    expect(loop.get_by_role("heading", name="The loop")).to_be_visible()
    expect(page.get_by_test_id("loop-services").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("loop-env-hangar-prod")).to_contain_text("failed v1.2.0")
    expect(page.get_by_test_id("loop-env-hangar-staging")).to_contain_text("succeeded v1.2.0")
    expect(page.get_by_test_id("loop-env-rotor-staging")).to_contain_text("never deployed")
    expect(page.get_by_test_id("loop-flag-hangar-doors-prod")).to_contain_text("on 25 %")
    expect(page.get_by_test_id("loop-flag-cargo-bay-production")).to_contain_text("on 100 %")
    expect(page.get_by_test_id("loop-lead-time")).to_contain_text("first customers exposed after 4.0 d")
    expect(page.get_by_test_id("loop-incidents")).to_contain_text("Doors stuck")
    expect(loop.get_by_role("link", name="hangar/hangar-doors").first).to_have_attribute(
        "href", "/releases/hangar/flags/hangar-doors"
    )
    expect(page.get_by_test_id("loop-dora-link")).to_have_attribute("href", f"/insights/dora?scope=epic:{w.epic}")
    assert not low_contrast(page, TEXT)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert horizontal_overflow(page) == 0
    loop.screenshot(path=str(shots / "epic_loop.png"))
    page.get_by_test_id("loop-service-hangar").get_by_role("link", name="Hangar", exact=True).click()
    expect(page.get_by_test_id("serves")).to_contain_text(f"{w.f2} of {w.epic}")
    page.get_by_test_id("serves").get_by_role("link", name=w.f2).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(w.f2)
    expect(page.get_by_test_id("loop-services").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("loop-flags").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("loop-lead-time")).to_contain_text("by deployment")
    expect(page.get_by_test_id("loop-dora-link")).to_have_attribute("href", f"/insights/dora?scope=feature:{w.f2}")
    page.get_by_test_id("loop").screenshot(path=str(shots / "feature_loop.png"))
    page.get_by_test_id("loop-dora-link").click()
    expect(page.get_by_test_id("tiles")).to_be_visible()
