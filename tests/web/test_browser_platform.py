"""In real Chromium: the platform team onboards a team through the form and follows its progress live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ValueStreamCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate, TeamType
from tests.browser import LiveServer, sign_in
from tests.factories import actor_of, ensure_work, make_user
from tests.platform.support import git, with_token

pytestmark = pytest.mark.browser


def test_onboarding_through_the_web_form(live_server: LiveServer, page: Page, tmp_path: Path) -> None:
    pia = make_user(live_server.runtime, "pia", Role.PLATFORM)
    make_user(live_server.runtime, "erin", Role.TEAM)
    ensure_work(live_server.runtime, "FEAT-3")
    _platform_team_and_value_stream(live_server)
    sign_in(page, live_server.url, "pia", pia.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Platform", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Platform")).to_be_visible()
    expect(page.get_by_role("cell", name="v1.0.0").first).to_be_visible()

    page.locator("a[href='/platform/onboard?template=python-service']").click()
    expect(page.get_by_role("heading", name="Onboard a team")).to_be_visible()
    page.get_by_label("Team key").fill("engines")
    page.get_by_label("Team name").fill("Engines")
    page.get_by_label("Members (usernames)").fill("erin")
    page.get_by_label("Service key").fill("engine-control")
    page.get_by_label("Service name").fill("Engine control")
    page.get_by_label("Feature it serves").fill("FEAT-3")
    page.get_by_label("Mission").fill("Engines that lift 25 kg")
    page.get_by_label("Domain it owns").fill("Propulsion")
    page.get_by_label("Value stream").select_option("heavy-lift")
    consumes = page.get_by_label("Consumes X-as-a-Service from")  # platform teams, offered as one types
    consumes.press_sequentially("plat", delay=30)
    expect(page.locator('#platform-team-options option[value="platform"]')).to_be_attached()
    consumes.fill("platform")
    page.get_by_label("Python version the service runs on.").select_option("3.12")
    page.get_by_label("Port the service listens on.").fill("8080")
    page.get_by_role("button", name="Onboard").click()

    expect(page).to_have_url(re.compile(r"/platform/jobs/"))
    expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=60_000)
    for step in ("team", "render", "repository", "service", "environments", "ingestion", "work", "pipeline"):
        expect(page.locator(f"li[data-step='{step}'] .badge")).to_have_text("done")
    expect(page.locator("li[data-step='flags'] .badge")).to_have_text("done")
    expect(page.locator("li[data-step='platform']")).to_contain_text("engines consumes platform X-as-a-Service")
    _links_to_what_it_made(page)
    key = page.get_by_test_id("ingestion-key").inner_text()
    assert key.startswith("dfik_")
    clone_url = page.get_by_test_id("clone-url").inner_text().removeprefix("git clone ")
    assert clone_url == f"{live_server.url}/git/engine-control.git"

    work = tmp_path / "clone"
    git("clone", with_token(clone_url, pia.token), str(work))
    assert "http_port: 8080" in (work / ".copier-answers.yml").read_text()

    page.reload()  # the ingestion key was shown once
    expect(page.get_by_role("heading", name="Done")).to_be_visible()
    expect(page.get_by_test_id("ingestion-key")).to_have_count(0)
    _the_run_and_the_finished_team(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Platform", exact=True).click()
    expect(page.get_by_role("cell", name="engine-control")).to_be_visible()
    page.get_by_role("navigation", name="Platform").get_by_role("link", name="Fleet").click()
    expect(page.locator("tr[data-service='engine-control']")).to_contain_text("current")
    page.get_by_role("navigation", name="Platform").get_by_role("link", name="Scorecards").click()
    expect(page.locator("section[data-service='engine-control']")).to_contain_text("Has an owning team")
    expect(page.locator("section[data-service='engine-control']")).to_contain_text("unknown")


def test_a_refused_onboarding_shows_the_reason_on_the_form(live_server: LiveServer, page: Page) -> None:
    pia = make_user(live_server.runtime, "pia", Role.PLATFORM)
    sign_in(page, live_server.url, "pia", pia.password)
    page.goto(live_server.url + "/platform/onboard?template=static-site")
    page.get_by_label("Team key").fill("web")
    page.get_by_label("Service key").fill("drone-site")
    page.get_by_label("Service name").fill("Drone site")
    page.get_by_label("Epic it serves").fill("FEAT-1")
    page.get_by_role("button", name="Onboard").click()
    expect(page.get_by_role("alert")).to_contain_text("team_name")
    expect(page.get_by_label("Service key")).to_have_value("drone-site")


def _links_to_what_it_made(page: Page) -> None:
    links = page.get_by_test_id("onboarding-links")
    for label, href in (
        ("Team", "/teams/engines"),
        ("Repository", "/git/engine-control.git"),
        ("Catalog entry", "/catalog/services/engine-control"),
        ("Environments", "/catalog/services/engine-control#envs"),
        ("Feature flags", "/releases/engine-control"),
        ("Value stream", "/catalog?value_stream=heavy-lift"),
    ):
        expect(links.get_by_role("link", name=label, exact=True)).to_have_attribute("href", href)
    expect(links.get_by_role("link", name=re.compile("pipeline run", re.I))).to_have_count(1)


def _platform_team_and_value_stream(live_server: LiveServer) -> None:
    with live_server.runtime.store.unit_of_work(actor_of(live_server.runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="platform", name="Platform", team_type=TeamType.PLATFORM))
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy-lift drones"))


def _the_run_and_the_finished_team(page: Page) -> None:
    # by now the first push has started its run: the link names it
    expect(page.get_by_role("link", name="First pipeline run")).to_have_attribute(
        "href", re.compile(r"^/delivery/runs/\d+$")
    )
    page.get_by_test_id("onboarding-links").get_by_role("link", name="Team", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Engines")
    expect(page.locator("#about")).to_contain_text("Engines that lift 25 kg")
    expect(page.locator("#interactions")).to_contain_text("Platform")
    page.go_back()
