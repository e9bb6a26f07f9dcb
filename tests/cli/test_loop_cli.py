"""`factory epic loop` and `factory feature loop` against a real server on tests/insights/loop_world.py's
data (its days counted back from today): the services' deployments, the flags' exposure, lead time, DORA."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from digital_factory.core.clock import SystemClock
from tests.browser import LiveServer
from tests.factories import MadeUser, make_user
from tests.insights.loop_world import loop_world


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_epic_and_feature_loop(live_server: LiveServer) -> None:
    start = (datetime.now(UTC) - timedelta(days=25)).replace(hour=0, minute=0, second=0, microsecond=0)
    w = loop_world(live_server.runtime, start)
    live_server.runtime.store.clock = SystemClock()
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)
    code, out = factory(live_server, viewer, "epic", "loop", w.epic)
    assert code == 0, out
    assert "v1.2.0 failed" in out and "never deployed" in out and "#2 failed" in out, out
    assert "prod 25%" in out and "production 100%" in out, out
    assert "DORA: 3 deployments, change lead time 3.0 d (n = 3), change fail rate 25.0% (n = 4)" in out, out
    assert f"incident {w.incident} [open] hangar/prod: Doors stuck" in out
    code, out = factory(live_server, viewer, "feature", "loop", w.f2, "--json")
    assert code == 0, out
    body = json.loads(out)
    assert [s["key"] for s in body["services"]] == ["hangar", "rotor"] and body["scope"] == "feature"
    code, out = factory(live_server, viewer, "epic", "loop", "EPIC-404")
    assert code == 3 and "EPIC-404" in out and "Traceback" not in out, out
