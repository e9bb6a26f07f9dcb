"""In real Chromium: the topology shows the teams' interaction; a survey answer shows up on the chart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.teams import service as teams
from digital_factory.teams import surveys
from digital_factory.teams.schemas import (
    InteractionCreate,
    InteractionMode,
    MemberAdd,
    SurveyAnswer,
    TeamCreate,
    TeamType,
)
from digital_factory.teams.topology import add_months
from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD, actor_of, make_user

pytestmark = pytest.mark.browser

ANSWERS = {"effective": 2, "domain-complexity": 5, "breadth": 4, "toil": 5, "tooling": 4, "learning": 2}


def seed(server: LiveServer) -> None:
    runtime = server.runtime
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "fiona", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
        teams.create_team(uow, TeamCreate(key="platform", name="Platform", team_type=TeamType.PLATFORM))
        teams.add_member(uow, "flight-software", MemberAdd(username="fiona", team_role="tech lead"))
        teams.create_interaction(
            uow,
            InteractionCreate(team="flight-software", with_team="platform", mode=InteractionMode.X_AS_A_SERVICE),
        )
    last_month = add_months(datetime.now(UTC).date(), -1)
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        surveys.submit_survey(uow, "flight-software", SurveyAnswer(answers=ANSWERS, answered_on=last_month))


def test_topology_shows_the_interaction(live_server: LiveServer, page: Page) -> None:
    seed(live_server)
    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Teams")).to_be_visible()
    graph = page.locator("#topology svg")
    expect(graph).to_be_visible()
    expect(graph.locator("text", has_text="Flight Software")).to_have_count(1)
    expect(graph.locator("text", has_text="Platform")).to_have_count(1)
    expect(graph.locator("text", has_text="X-as-a-Service")).to_have_count(1)
    expect(page.locator("#interactions-table")).to_contain_text("X-as-a-Service")


def test_survey_submit_shows_the_new_score_on_the_chart(live_server: LiveServer, page: Page) -> None:
    seed(live_server)
    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/teams/flight-software")
    chart = page.locator("#load-chart svg")
    expect(chart.locator("text", has_text="83.3")).to_have_count(1)  # last month
    expect(chart.locator("text", has_text="58.3")).to_have_count(0)

    page.get_by_text("Answer this month's survey").click()
    for fieldset in page.locator("form.survey fieldset").all():
        fieldset.get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("status")).to_contain_text("your answers count in this month's score")
    expect(page.get_by_test_id("latest-index")).to_have_text("58.3")
    chart = page.locator("#load-chart svg")
    expect(chart.locator("text", has_text="58.3")).to_have_count(1)
    expect(chart.locator("text", has_text="83.3")).to_have_count(1)


def test_team_page_reads_on_a_phone(live_server: LiveServer, page: Page) -> None:
    seed(live_server)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    for path in ("/teams", "/teams/flight-software", "/catalog"):
        page.goto(live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"


def test_a_tooltip_shows_what_people_typed_as_text(live_server: LiveServer, page: Page) -> None:
    """Team names and purposes are people's text: ECharts puts a tooltip's content into the page as HTML, and
    a string tooltip also fills in `{b}`. Shown as typed, nothing of it becomes markup."""
    seed(live_server)
    name = "<i>Eve</i> {b} & Co"
    with live_server.runtime.store.unit_of_work(actor_of(live_server.runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="eve", name=name))
    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    page.goto(live_server.url + "/teams")
    label = page.locator("#topology svg text", has_text="Eve")
    expect(label).to_have_count(1)
    label.hover()
    tooltip = page.locator("#topology div", has_text="Eve").last
    expect(tooltip).to_contain_text(f"{name} (stream-aligned), 0 member(s)")
    expect(page.locator("#topology i")).to_have_count(0)
