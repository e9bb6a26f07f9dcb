"""In real Chromium: a run started from the web streams its log live; another person approves prod."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from tests.browser import LiveServer, sign_in
from tests.delivery.gitrepo import make_repo
from tests.delivery.owners import owning_team
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: count
        run: |
          for i in 1 2 3; do echo "tick $i"; sleep 0.7; done
  - name: deploy
    environment: prod
    steps:
      - name: go
        run: echo "shipped $FACTORY_VERSION"
"""


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_live_log_and_approval_by_another_person(live_server: LiveServer, page: Page, tmp_path: Path) -> None:
    runtime = live_server.runtime
    make_user(runtime, "fiona", Role.TEAM)
    make_user(runtime, "pavel", Role.TEAM)
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": PIPELINE}, "Count (FEAT-7)")
    team = owning_team(runtime, "fiona", "pavel")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="flight-control",
                name="Flight control",
                owner_team=team,
                repository_url=str(repo.bare),
                environments=[EnvironmentSpec(name="prod", approval_roles=[Role.TEAM])],
            ),
        )
        catalog.register_service(uow, ServiceCreate(key="flight-sim", name="Flight simulator", owner_team=team))

    sign_in(page, live_server.url, "fiona", DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Delivery").click()
    expect(page.get_by_role("heading", level=1, name="Delivery")).to_be_visible()
    picker = page.get_by_role("combobox", name="Service")
    suggestions = page.locator("#runnable-services option")
    expect(suggestions).to_have_count(2)  # the team's services: typing narrows them on the server
    picker.press_sequentially("contr")
    expect(suggestions).to_have_count(1)
    expect(suggestions).to_have_attribute("value", "flight-control")
    picker.fill("flight-control")
    page.get_by_role("button", name="Run pipeline").click()
    expect(page).to_have_url(re.compile(r"/delivery/runs/\d+$"))
    log = page.locator("pre.log").first
    expect(log).to_contain_text("tick 1", timeout=15_000)
    expect(page.locator("[data-step-status]").first).to_have_text("running")  # live: the step has not ended
    expect(log).to_contain_text("tick 3", timeout=15_000)
    # the gate opens; fiona triggered the run, so the page says why she may not approve it
    expect(page.get_by_test_id("approve-why")).to_contain_text("you triggered it", timeout=15_000)
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    run_url = page.url
    _sign_out(page)

    sign_in(page, live_server.url, "pavel", DEFAULT_PASSWORD)
    page.goto(run_url)
    page.get_by_label("Approval comment for prod").fill("Count looks right")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("[data-run-status]")).to_have_text("passed", timeout=20_000)
    expect(page.get_by_text("approved by pavel")).to_be_visible()
    page.get_by_role("link", name="flight-control").first.click()
    expect(page.get_by_test_id("current-prod")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
