"""In real Chromium, the golden path as a new team walks it: onboarded through the web form, "Run pipeline" on
its service goes green through staging and waits at the prod approval, and its repository opens in the
browser with the template's files and first commit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from digital_factory.accounts.schemas import Role
from tests.browser import LiveServer, sign_in
from tests.factories import ensure_work, make_user

pytestmark = pytest.mark.browser

FIRST_COMMIT = "Start engine-control from the python-service v1.0.0 golden-path template"


def _onboard(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/platform/onboard?template=python-service")
    page.get_by_label("Team key").fill("engines")
    page.get_by_label("Team name").fill("Engines")
    page.get_by_label("Members (usernames)").fill("erin")
    page.get_by_label("Service key").fill("engine-control")
    page.get_by_label("Service name").fill("Engine control")
    page.get_by_label("Feature it serves").fill("FEAT-3")
    page.get_by_role("button", name="Onboard").click()
    expect(page).to_have_url(re.compile(r"/platform/jobs/"))
    expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=60_000)


def test_onboard_run_the_pipeline_and_browse_the_repository(live_server: LiveServer, page: Page) -> None:
    rt = live_server.runtime
    pia = make_user(rt, "pia", Role.PLATFORM)
    erin = make_user(rt, "erin", Role.TEAM)
    ensure_work(rt, "FEAT-3")
    sign_in(page, live_server.url, "pia", pia.password)
    _onboard(page, live_server)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "erin", erin.password)
    page.goto(live_server.url + "/delivery/services/engine-control")
    page.get_by_role("button", name="Run pipeline").click()
    expect(page).to_have_url(re.compile(r"/delivery/runs/\d+$"))
    expect(page.locator(".lead")).to_contain_text("manual by erin")
    prod = page.locator("section.stage", has=page.get_by_role("heading", name=re.compile(r"^deploy-prod")))
    expect(prod.locator("[data-stage-status]")).to_have_text("waiting", timeout=120_000)
    staging = page.locator("section.stage", has=page.get_by_role("heading", name=re.compile(r"^deploy-staging")))
    expect(staging.locator("[data-stage-status]")).to_have_text("passed")
    for stage in ("build", "test", "deploy-dev"):
        heading = page.get_by_role("heading", name=re.compile(rf"^{stage}\b"))
        expect(page.locator("section.stage", has=heading).locator("[data-stage-status]")).to_have_text("passed")

    page.get_by_test_id("commit-link").click()  # the run's commit, in the repository browser
    expect(page.get_by_test_id("commit-subject")).to_have_text(FIRST_COMMIT)
    expect(page.get_by_role("region", name=".factory/pipeline.yml")).to_be_visible()

    page.goto(live_server.url + "/git/engine-control.git")  # the git URL, opened in a browser
    expect(page).to_have_url(live_server.url + "/repositories/engine-control")
    files = page.get_by_test_id("files")
    for name in (".factory/", "src/", "tests/", "README.md", "pyproject.toml"):
        expect(files.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_test_id("readme").get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_test_id("clone-url")).to_have_value(f"{rt.public_url}/git/engine-control.git")
    page.get_by_role("link", name="Commits").click()
    expect(page.get_by_test_id("commits")).to_contain_text(FIRST_COMMIT)
    files_link = page.get_by_role("link", name="Code")
    files_link.click()
    page.get_by_test_id("files").get_by_role("link", name="pyproject.toml").click()
    expect(page.get_by_test_id("code").locator(".highlight")).to_be_visible()
