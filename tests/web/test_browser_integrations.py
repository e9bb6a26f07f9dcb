"""In real Chromium: a team member creates a GitHub webhook, copies its URL and secret, maps a repository;
a signed delivery then shows on the page with its outcome."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser import LiveServer, sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.integrations.world import TEAM, member, service, signature

pytestmark = pytest.mark.browser


def test_create_map_and_watch_a_webhook(live_server: LiveServer, page: Page) -> None:
    member(live_server.runtime)
    service(live_server.runtime, "rotor")
    sign_in(page, live_server.url, "mia", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/teams/{TEAM}")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Name").fill("rotor on GitHub")
    page.get_by_role("button", name="Create webhook").click()
    url = page.get_by_test_id("new-hook-url").inner_text()
    secret = page.get_by_test_id("new-hook-secret").inner_text()
    assert url.startswith(f"{live_server.runtime.public_url.rstrip('/')}/hooks/github?hook=")
    page.get_by_label("Repository, project or subject").fill("drones/rotor")
    page.get_by_label("Service").fill("rotor")
    page.get_by_role("button", name="Map").click()
    expect(page.get_by_role("link", name="rotor")).to_be_visible()

    deployment = {"id": 8, "sha": "9" * 40, "environment": "production", "created_at": "2026-01-01T00:00:00Z"}
    body = json.dumps({"repository": {"full_name": "drones/rotor"}, "deployment": deployment}).encode()
    headers = {
        "X-GitHub-Event": "deployment",
        "X-GitHub-Delivery": "browser-1",
        "X-Hub-Signature-256": signature(secret, body),
        "Content-Type": "application/json",
    }
    public_id = url.rsplit("=", 1)[1]
    sent = httpx.post(f"{live_server.url}/hooks/github?hook={public_id}", content=body, headers=headers)
    assert sent.status_code == 202, sent.text
    page.reload()
    expect(page.get_by_test_id("hook-counts")).to_have_text("1 mapped, 0 ignored, 0 unmapped")
    expect(page.get_by_text("rotor: deployment 8 to production: requested")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
