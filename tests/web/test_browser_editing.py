"""In real Chromium: edit a theme, a feature's hypothesis and a story's text; archive a team; read the audit
log as changes field by field, with the door each came through."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import FeatureCreate, KeyResultSpec, StoryCreate, ThemeCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, actor_of, make_user
from tests.portfolio.builders import ready_epic

pytestmark = pytest.mark.browser


def test_edit_a_theme_and_see_it_in_the_audit_log(live_server: LiveServer, page: Page) -> None:
    runtime = live_server.runtime
    make_user(runtime, "ada", Role.ADMIN)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        portfolio.create_theme(
            uow, ThemeCreate(objective="Grow heavy lift", key_results=[KeyResultSpec(description="Share", target=15)])
        )
    sign_in(page, live_server.url, "ada", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/portfolio/themes")
    theme = page.locator("section#THEME-1")
    expect(theme.get_by_test_id("kr-current")).to_contain_text("no data yet")
    theme.get_by_text("Edit THEME-1").click()
    theme.get_by_label("Objective").fill("Grow heavy-lift market share")
    theme.get_by_label("THEME-1 key result 1 target").fill("20")
    theme.get_by_role("button", name="Save THEME-1").click()
    expect(page.locator("section#THEME-1 h2")).to_contain_text("Grow heavy-lift market share")
    expect(page.locator("section#THEME-1")).to_contain_text("to 20")

    page.goto(live_server.url + "/admin/audit?action=theme.update")
    row = page.locator("table.audit tbody tr").first
    expect(row.get_by_test_id("door")).to_have_text("web")
    expect(row.locator("dl.diff")).to_contain_text("objective")
    expect(row.locator("del").first).to_have_text("Grow heavy lift")
    expect(row.locator("ins").first).to_have_text("Grow heavy-lift market share")
    expect(row.get_by_role("link", name="theme THEME-1")).to_have_attribute("href", "/portfolio/themes")
    action = row.locator("code.action")
    box = action.bounding_box()
    assert box is not None and box["height"] < 30  # one line, never broken mid-word


def test_edit_feature_and_story_text_then_archive_a_team(live_server: LiveServer, page: Page) -> None:
    runtime = live_server.runtime
    make_user(runtime, "ada", Role.ADMIN)
    make_user(runtime, "bea", Role.BOARD)
    ready_epic(runtime, actor_of(runtime, "bea"))
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))
        feature = portfolio.create_feature(uow, FeatureCreate(epic="EPIC-1", title="Bigger batteries"))
        portfolio.create_story(uow, StoryCreate(feature=feature.key, title="Cells"))
    sign_in(page, live_server.url, "ada", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/product/features/{feature.key}")
    page.get_by_text("Edit title, description and hypothesis").click()
    page.get_by_label("Benefit hypothesis").fill("Heavier payloads fly 20 % longer")
    page.get_by_role("button", name="Save feature").click()
    expect(page.locator("section.card").filter(has_text="Benefit hypothesis").first).to_contain_text(
        "Heavier payloads fly 20 % longer"
    )
    page.get_by_text("Edit STORY-1").click()
    page.locator("#STORY-1").get_by_label("Story").fill("As a pilot, I want longer flights")
    page.get_by_role("button", name="Save STORY-1").click()
    expect(page.locator("#STORY-1")).to_contain_text("As a pilot, I want longer flights")

    page.goto(live_server.url + "/teams/power-systems")
    page.get_by_role("button", name="Archive team").click()
    expect(page.get_by_test_id("archived")).to_be_visible()
    page.goto(live_server.url + "/teams")
    expect(page.locator("table").get_by_role("link", name="Power Systems")).to_have_count(0)
    page.get_by_role("link", name="Show archived teams").click()
    expect(page.locator("table").get_by_role("link", name="Power Systems")).to_have_count(1)
