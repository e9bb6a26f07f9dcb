"""`factory flag …` against a real server: create, roll out through approval, rules, eval, keys."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from digital_factory.cli import releases as releases_cli
from digital_factory.cli.client import ApiClient
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import MadeUser, ensure_work
from tests.releases.builders import flight_control


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_flag_commands(live_server: LiveServer) -> None:
    people = flight_control(live_server.runtime)
    pm, flight = people["pm"], people["flight"]
    svc = "flight-control"
    ensure_work(live_server.runtime, "FEAT-3")
    code, out = factory(live_server, pm, "flag", "create", svc, "heavy-lift-mode", "--feature", "feat-3")
    assert code == 0 and "created flag heavy-lift-mode" in out, out
    code, out = factory(live_server, people["power"], "flag", "create", svc, "power-mode")
    assert code == 5 and "power may not change the flags of flight-control" in out, out
    code, out = factory(
        live_server,
        pm,
        "flag",
        "create",
        svc,
        "payload",
        "--type",
        "float",
        "--variant",
        "std=2",
        "--variant",
        "heavy=7.5",
    )
    assert code == 0, out

    code, out = factory(live_server, pm, "flag", "rollout", svc, "heavy-lift-mode", "10", "--env", "prod")
    assert code == 0 and "FCR-1 waits for approval in flight-control/prod (by team or admin, not pm)" in out, out
    code, out = factory(live_server, flight, "flag", "changes", "--status", "pending")
    assert "FCR-1" in out and "turn on, default 10% on / 90% off" in out, out
    code, out = factory(live_server, pm, "flag", "approve", "FCR-1")
    assert code == 5 and "another person must approve it" in out, out
    code, out = factory(live_server, flight, "flag", "approve", "FCR-1", "--note", "go")
    assert code == 0 and "FCR-1 applied in flight-control/prod" in out, out

    code, out = factory(
        live_server, pm, "flag", "set", svc, "heavy-lift-mode", "--env", "dev", "--on", "--serve", "off",
        "--rule", "plan in pro, fleet; appVersion semver_gte 2.4 => on",
    )  # fmt: skip
    assert code == 0 and "applied in flight-control/dev" in out, out
    code, out = factory(
        live_server, pm, "flag", "set", svc, "heavy-lift-mode", "--env", "dev", "--rule", "plan is pro => on"
    )
    assert code == 2 and "unknown operator 'is'" in out, out
    code, out = factory(
        live_server, pm, "flag", "set", svc, "heavy-lift-mode", "--env", "dev", "--serve", "on=10,off=80"
    )
    assert code == 2 and "add up to 100" in out, out
    code, out = factory(live_server, pm, "flag", "show", svc, "heavy-lift-mode")
    assert "rule 1: plan in pro, fleet; appVersion semver_gte 2.4 => on" in out, out

    code, out = factory(live_server, pm, "flag", "eval", svc, "heavy-lift-mode", "--env", "dev", "--key", "d-1",
                        "--attr", "plan=pro", "--attr", "appVersion=2.5.0")  # fmt: skip
    assert code == 0 and "TARGETING_MATCH (rule 1)" in out, out
    code, out = factory(live_server, pm, "flag", "list", svc)
    assert "on · 10% on / 90% off" in out and "payload" in out, out
    code, out = factory(live_server, pm, "flag", "releases", "--service", svc, "--feature", "FEAT-3")
    assert out.count("heavy-lift-mode") == 2 and "flight" in out, out

    code, out = factory(live_server, pm, "flag", "key", "create", svc, "--env", "dev", "--name", "drones")
    assert code == 5 and "members of the team flight-software or the platform role" in out, out
    code, out = factory(live_server, flight, "flag", "key", "create", svc, "--env", "dev", "--name", "drones")
    secret = out.strip().splitlines()[-1]
    assert code == 0 and secret.startswith("dffk_"), out
    code, out = factory(live_server, pm, "flag", "key", "list", svc)
    assert "drones" in out and secret not in out
    code, out = factory(live_server, people["vic"], "flag", "kill", svc, "heavy-lift-mode", "--env", "prod")
    assert code == 5, out
    code, out = factory(
        live_server, flight, "flag", "kill", svc, "heavy-lift-mode", "--env", "prod", "--reason", "rotor"
    )
    assert code == 0 and "applied" in out, out
    code, out = factory(live_server, pm, "flag", "show", svc, "ghost")
    assert code == 3 and "no flag 'ghost'" in out, out


def test_rollout_is_one_request_to_the_rollout_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """No read of the flag first: the server builds the split, so two people rolling out cannot race."""
    sent: list[httpx.Request] = []
    change: dict[str, object] = {
        "key": "FCR-7", "service": "flight-control", "environment": "prod", "subject": "flag",
        "flag": "heavy-lift-mode", "segment": None, "change": {}, "reason": "", "status": "pending",
        "requested_by": "pm", "requested_at": "2026-01-01T00:00:00Z", "due_at": None, "decided_by": None,
        "decided_at": None, "note": "", "applied_at": None, "release_id": None, "failure": None,
        "approval_roles": ["team"], "summary": "turn on",
    }  # fmt: skip

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(202, json=change)

    client = ApiClient("http://factory.test", "token", transport=httpx.MockTransport(answer))
    monkeypatch.setattr(releases_cli, "api", lambda: client)
    result = CliRunner().invoke(
        app, ["flag", "rollout", "flight-control", "heavy-lift-mode", "12.5", "--env", "prod", "--variant", "on"]
    )
    assert result.exit_code == 0 and "FCR-7 waits for approval in flight-control/prod" in result.output, result.output
    assert [(r.method, r.url.path) for r in sent] == [
        ("POST", "/api/v1/services/flight-control/flags/heavy-lift-mode/environments/prod/rollout")
    ]
    assert json.loads(sent[0].content) == {"percent": 12.5, "variant": "on", "reason": ""}
