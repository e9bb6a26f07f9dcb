"""In real Chromium: the catalog pages through its services, a filter narrows it and stays on the next page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.web.test_catalog_pages import seed

pytestmark = pytest.mark.browser


def test_paging_and_filtering_the_catalog(live_server: LiveServer, page: Page) -> None:
    seed(live_server.runtime)
    make_user(live_server.runtime, "vic", Role.VIEWER)
    sign_in(page, live_server.url, "vic", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/catalog")
    count = page.get_by_test_id("pager-count")
    expect(count).to_have_text("showing 1–50 of 70 services")
    expect(page.locator("table.catalog tbody tr")).to_have_count(50)

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(count).to_have_text("showing 51–70 of 70 services")
    expect(page.get_by_role("heading", level=2, name="No value stream")).to_be_visible()

    stream = page.get_by_role("combobox", name="Value stream")
    stream.select_option("heavy-lift")
    page.get_by_role("button", name="Show").click()
    expect(count).to_have_text("showing 1–50 of 55 services")
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    expect(count).to_have_text("showing 51–55 of 55 services")
    expect(stream).to_have_value("heavy-lift")

    page.get_by_label("Name or key").fill("engine-0")
    page.get_by_role("button", name="Show").click()
    expect(count).to_have_text("showing 1–10 of 10 services")
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)


def test_the_dependency_picker_narrows_as_one_types(live_server: LiveServer, page: Page) -> None:
    seed(live_server.runtime)  # 70 services; engine-00 depends on engine-01
    make_user(live_server.runtime, "pat", Role.PLATFORM)
    sign_in(page, live_server.url, "pat", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/catalog/services/engine-00")
    options = page.locator("#dependency-candidates option")
    expect(options).to_have_count(20)  # the first twenty, there without JavaScript
    expect(options.first).to_have_attribute("value", "engine-02")

    field = page.get_by_label("Depends on")
    field.press_sequentially("probe 1")
    expect(options).to_have_count(5)  # the server's matches for what was typed
    expect(options.first).to_have_attribute("value", "probe-10")

    field.fill("probe-12")
    page.get_by_role("button", name="Add dependency").click()
    expect(page.get_by_role("status")).to_have_text("engine-00 now depends on probe-12.")
    expect(page.locator("#dependencies").get_by_role("link", name="Probe 12")).to_be_visible()
