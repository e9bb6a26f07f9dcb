"""`factory insights dora` against a real server: the hand-built data set's figures as a table and as JSON,
and a bad period as a message with a non-zero exit."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from digital_factory.core.clock import SystemClock
from tests.browser import LiveServer
from tests.factories import MadeUser, make_user
from tests.insights.dora_world import HOUR, SERVICE, build


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_insights_dora(live_server: LiveServer) -> None:
    build(live_server.runtime)
    live_server.runtime.store.clock = SystemClock()
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)
    code, out = factory(live_server, viewer, "insights", "dora", "--service", SERVICE, "--period", "2026-W10")
    assert code == 0, out
    assert "DORA of service rotor, 2026-03-02 to 2026-03-09 (2024 bands)" in out
    assert "1.00/day" in out and "6.0 h" in out and "37.5%" in out and "28.6%" in out, out
    assert "unlinked incidents: 1; level: mixed" in out
    code, out = factory(live_server, viewer, "insights", "dora", "--service", SERVICE, "--period", "2026-Q1", "--json")
    assert code == 0, out
    body = json.loads(out)
    # weeks from Monday: Thu 1 Jan - Sun 4 Jan, 12 whole weeks from 5 Jan, Mon 30 - Tue 31 Mar
    assert body["figures"]["change_lead_time"]["value"] == 6 * HOUR and len(body["trend"]) == 14
    assert body["trend"][9]["start"][:10] == "2026-03-02" and body["trend"][9]["figures"]["level"] is None
    code, out = factory(live_server, viewer, "insights", "dora", "--period", "2026-Q9")
    assert code == 2 and "period" in out and "Traceback" not in out, out
    code, out = factory(live_server, viewer, "insights", "dora", "--service", "nope")
    assert code == 3 and "nope" in out, out
