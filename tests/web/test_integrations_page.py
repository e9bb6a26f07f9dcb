"""The webhooks page of a team: the URL to paste and the secret once, mappings, last delivery and outcome
counts; the create and map forms only for those who may change the team's hooks."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user, web_login
from tests.integrations.world import TEAM, Target, hook, member, send_github, service

ORIGIN = {"Origin": "http://testserver"}


def test_members_create_and_map_a_hook_and_see_its_deliveries(client: TestClient, runtime: Runtime) -> None:
    mia = member(runtime)
    service(runtime, "rotor")
    csrf = web_login(client, mia)
    page = client.post(
        f"/teams/{TEAM}/integrations", data={"kind": "github", "name": "rotor repo", "csrf_token": csrf}, headers=ORIGIN
    )
    assert page.status_code == 200, page.text
    url = re.search(r'data-testid="new-hook-url">([^<]+)<', page.text)
    secret = re.search(r'data-testid="new-hook-secret">([^<]+)<', page.text)
    assert url and secret
    assert "/hooks/github?hook=" in url.group(1)
    public_id = url.group(1).rsplit("=", 1)[1]
    mapped = client.post(
        f"/teams/{TEAM}/integrations/{public_id}/mappings",
        data={"external": "drones/rotor", "service": "rotor", "csrf_token": csrf},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert mapped.status_code == 200 and "drones/rotor" in mapped.text
    refused = client.post(
        f"/teams/{TEAM}/integrations/{public_id}/mappings",
        data={"external": "drones/rotor", "service": "rotor", "csrf_token": csrf},
        headers=ORIGIN,
    )
    assert refused.status_code == 409 and "already maps to rotor" in refused.text
    target = Target(public_id=public_id, secret=secret.group(1), service="rotor", kind="github")
    deployment = {"id": 3, "sha": "e" * 40, "environment": "production", "created_at": "2026-01-01T00:00:00Z"}
    payload = {"repository": {"full_name": "drones/rotor"}, "deployment": deployment}
    assert send_github(client, target, "deployment", payload, "page-1").status_code == 202
    shown = client.get(f"/teams/{TEAM}/integrations")
    assert "1 mapped, 0 ignored, 0 unmapped" in shown.text
    assert "rotor: deployment 3 to production: requested" in shown.text
    assert secret.group(1) not in shown.text


def test_others_see_hooks_but_no_forms_and_no_deliveries(client: TestClient, runtime: Runtime) -> None:
    target = hook(client, member(runtime), "github", service(runtime, "rotor"), "drones/rotor")
    assert send_github(client, target, "star", {"action": "created"}, "seen-by-owners").status_code == 202
    csrf = web_login(client, make_user(runtime, "otto", Role.TEAM))
    page = client.get(f"/teams/{TEAM}/integrations")
    assert page.status_code == 200 and "Create webhook" not in page.text
    assert "0 mapped, 1 ignored, 0 unmapped" in page.text and "is not mapped" not in page.text
    refused = client.post(f"/teams/{TEAM}/integrations", data={"kind": "gitlab", "csrf_token": csrf}, headers=ORIGIN)
    assert refused.status_code == 403
