"""In real Chromium: the first admin signs in with the one-time password, chooses their own, walks the loop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from digital_factory.app.factory import prepare_store
from digital_factory.web.rendering import AREAS
from tests.browser import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_first_admin_signs_in_and_walks_the_navigation(live_server: LiveServer, page: Page) -> None:
    admin = prepare_store(live_server.runtime)
    assert admin is not None and admin.one_time_password
    sign_in(page, live_server.url, "admin", admin.one_time_password)

    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.get_by_label("Current password").fill(admin.one_time_password)
    page.get_by_label("New password", exact=True).fill("a much better password")
    page.get_by_label("Repeat the new password").fill("a much better password")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="The product loop")).to_be_visible()

    nav = page.get_by_role("navigation", name="Main")
    for area in AREAS:
        nav.get_by_role("link", name=area.label, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=area.label)).to_be_visible()
        expect(nav.get_by_role("link", name=area.label, exact=True)).to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="user.password-change")).to_be_visible()
    expect(page.get_by_role("cell", name="session.login").first).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(live_server.url + "/admin/audit")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/audit$"))


def test_layout_is_usable_on_a_phone(live_server: LiveServer, page: Page) -> None:
    admin = prepare_store(live_server.runtime)
    assert admin is not None and admin.one_time_password
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "admin", admin.one_time_password)
    page.get_by_label("Current password").fill(admin.one_time_password)
    page.get_by_label("New password", exact=True).fill("a much better password")
    page.get_by_label("Repeat the new password").fill("a much better password")
    page.get_by_role("button", name="Save password").click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the overview scrolls sideways on a phone ({width} px)"
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights")).to_be_visible()
