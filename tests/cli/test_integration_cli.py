"""`factory integration …` against a real server: create (secret once), map, a signed delivery, show, list,
unmap, rotate (the old secret stops working), delete; refusals exit non-zero with the reason."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import MadeUser, make_user
from tests.integrations.world import member, service, signature


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.output


def _deploy(server: LiveServer, public_id: str, secret: str, delivery: str) -> httpx.Response:
    body = json.dumps(
        {
            "repository": {"full_name": "drones/rotor"},
            "deployment": {"id": 5, "sha": "d" * 40, "environment": "production", "created_at": "2026-01-01T00:00:00Z"},
        }
    ).encode()
    headers = {
        "X-GitHub-Event": "deployment",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature(secret, body),
        "Content-Type": "application/json",
    }
    return httpx.post(f"{server.url}/hooks/github?hook={public_id}", content=body, headers=headers)


def test_integration_commands(live_server: LiveServer) -> None:
    rt = live_server.runtime
    mia = member(rt)
    service(rt, "rotor")
    code, secret, out = factory(live_server, mia, "integration", "create", "github", "--team", "hook-crew")
    assert code == 0, out
    secret = secret.strip()
    public_id = secret.split("_")[1]
    assert f"post deliveries to <server>/hooks/github?hook={public_id}" in out, out

    code, _, out = factory(live_server, mia, "integration", "map", public_id, "drones/rotor", "rotor")
    assert (code, out.strip()) == (0, "drones/rotor -> rotor"), out
    assert _deploy(live_server, public_id, secret, "one").status_code == 202

    code, _, out = factory(live_server, mia, "integration", "show", public_id)
    assert (
        code == 0 and "maps drones/rotor -> rotor" in out and "rotor: deployment 5 to production: requested" in out
    ), out
    code, _, out = factory(live_server, mia, "integration", "list")
    assert code == 0 and public_id in out and "drones/rotor -> rotor" in out, out

    viewer = make_user(rt, "vera", Role.TEAM)
    code, _, out = factory(live_server, viewer, "integration", "map", public_id, "drones/other", "rotor")
    assert code == 5 and "vera may not change the hooks of team hook-crew" in out, out

    code, new_secret, out = factory(live_server, mia, "integration", "rotate", public_id)
    assert code == 0 and new_secret.strip() != secret, out
    assert _deploy(live_server, public_id, secret, "two").status_code == 401
    assert _deploy(live_server, public_id, new_secret.strip(), "two").status_code == 202

    code, _, out = factory(live_server, mia, "integration", "unmap", public_id, "drones/rotor")
    assert code == 0, out
    assert _deploy(live_server, public_id, new_secret.strip(), "three").json()["outcome"] == "unmapped"
    code, _, out = factory(live_server, mia, "integration", "delete", public_id)
    assert (code, out.strip()) == (0, f"hook {public_id} deleted"), out
    code, _, out = factory(live_server, mia, "integration", "show", public_id)
    assert code != 0 and "there is no hook" in out, out
