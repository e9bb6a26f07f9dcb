"""In real Chromium: a product manager rolls a flag out, previews targeting, and a team member approves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, actor_of
from tests.releases.builders import SERVICE, flight_control, make_flag

pytestmark = pytest.mark.browser


def _seed(runtime: Runtime) -> None:
    flight_control(runtime)
    make_flag(runtime, name="Heavy-lift mode", feature="FEAT-3")
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.request_change(uow, SERVICE, "heavy-lift-mode", "dev", FlagChange(enabled=True))
    with runtime.store.unit_of_work(actor_of(runtime, "pm"), write=False) as uow:
        dev_id = catalog.get_environment(uow, SERVICE, "dev").id
    for i in range(40):  # evaluations in process, so the chart has something to draw
        assert runtime.flags.evaluate(dev_id, "heavy-lift-mode", {"targetingKey": f"drone-{i}"}) is not None
    assert runtime.flags.flush() == 40


def _edit_dev(page: Page, result: Locator) -> None:
    """Add a rule with htmx, roll out the rest, preview the draft, save."""
    dev = page.locator("#env-dev")
    dev.get_by_text("Edit targeting and rollout in dev").click()
    dev.get_by_role("button", name="Add a rule").click()
    dev.locator("textarea[name$='-conditions']").fill("plan in pro, fleet")
    default_serve = dev.locator("select[name=default-serve]")
    expect(dev.get_by_label("Everyone else: percent on")).to_be_hidden()
    default_serve.select_option("rollout")
    dev.get_by_label("Everyone else: percent on").fill("0")
    dev.get_by_label("Everyone else: percent off").fill("100")
    dev.get_by_role("button", name="Preview these changes").click()
    expect(result).to_contain_text("With the unsaved changes")
    expect(result.locator("tr[data-environment=dev]")).to_contain_text("TARGETING_MATCH (rule 1)")
    dev.get_by_role("button", name="Save (dev)").click()
    expect(page.get_by_role("status")).to_contain_text("Applied")
    expect(page.get_by_test_id("summary-dev")).to_have_text("on · 1 rule · 100% off")


def test_rollout_with_preview_and_approval(live_server: LiveServer, page: Page) -> None:
    _seed(live_server.runtime)
    sign_in(page, live_server.url, "pm", DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Releases").click()
    expect(page.get_by_role("heading", level=1, name="Releases")).to_be_visible()
    page.get_by_role("link", name="Flight control").click()
    page.get_by_role("link", name="heavy-lift-mode", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heavy-lift mode")
    expect(page.get_by_text("No evaluations counted in prod")).to_be_visible()
    page.get_by_role("link", name="dev", exact=True).click()
    expect(page.locator(".chart svg")).to_be_visible()  # ECharts drew the evaluation counts
    expect(page.get_by_text("on 40")).to_be_visible()

    # preview against the saved configuration (htmx)
    page.get_by_label("Targeting key").fill("drone-7")
    page.get_by_label("Attributes").fill("plan = pro")
    page.get_by_role("button", name="Which variant?").click()
    result = page.locator("#preview-result")
    expect(result.locator("tr[data-environment=dev]")).to_contain_text("STATIC")
    expect(result.locator("tr[data-environment=prod]")).to_contain_text("DISABLED")

    _edit_dev(page, result)

    # prod needs another person's approval
    prod = page.locator("#env-prod")
    prod.get_by_label("Rollout percent in prod").fill("10")
    prod.get_by_role("button", name="Request rollout").click()
    expect(page.get_by_role("status")).to_contain_text("Waiting for approval")
    expect(page.get_by_test_id("summary-prod")).to_have_text("off · serves off")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server.url, "flight", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/releases")
    page.get_by_role("button", name=re.compile(r"^Approve FCR-\d+$")).click()
    expect(page.get_by_role("status")).to_contain_text("Applied")
    timeline = page.get_by_role("list", name="Release timeline")
    expect(timeline.locator("li").first).to_contain_text("turned on: on · 10% on / 90% off")
    expect(timeline.locator("li").first).to_contain_text("by pm, approved by flight")


def test_flag_page_fits_a_phone(live_server: LiveServer, page: Page) -> None:
    flight_control(live_server.runtime)
    make_flag(live_server.runtime)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "pm", DEFAULT_PASSWORD)
    for path in ("/releases", f"/releases/{SERVICE}", f"/releases/{SERVICE}/flags/heavy-lift-mode"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
