"""`factory insights flow …` against a live server through the REST API (data of tests/insights/test_leadtime.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from digital_factory.core.clock import SystemClock
from tests.browser import LiveServer
from tests.factories import make_user
from tests.insights.leadtime_builders import epic_with_two_features

runner = CliRunner()


@pytest.fixture
def epic(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> str:
    start = (datetime.now(UTC) - timedelta(days=25)).replace(hour=0, minute=0, second=0, microsecond=0)
    _, key, _, _ = epic_with_two_features(live_server.runtime, start)
    live_server.runtime.store.clock = SystemClock()
    monkeypatch.setenv("FACTORY_TOKEN", make_user(live_server.runtime, "vic", Role.VIEWER).token)
    monkeypatch.setenv("FACTORY_URL", live_server.url)
    monkeypatch.setenv("COLUMNS", "200")
    return key


def factory(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_flow_commands_print_the_figures(epic: str) -> None:
    code, out = factory("insights", "flow", "metrics", "--value-stream", "cargo")
    assert code == 0, out
    assert "velocity" in out and "4.0 d" in out and "88 %" in out
    code, out = factory("insights", "flow", "metrics", "--epic", epic, "--json")
    assert code == 0 and json.loads(out)["flow_time_p85_seconds"] == 5 * 86400
    code, out = factory("insights", "flow", "vsm", "--epic", epic)
    assert code == 0 and "Feature development" in out and "slowest" in out
    code, out = factory("insights", "flow", "lead-time", "--epic", epic)
    assert code == 0 and "7.0 d" in out and "flag rotor/cargo-bay" in out
    code, out = factory("insights", "flow", "cfd", "--epic", epic, "--json")
    assert code == 0 and len(json.loads(out)["days"]) == 30


def test_bad_input_is_a_message_and_a_non_zero_exit(epic: str) -> None:
    code, out = factory("insights", "flow", "metrics", "--team", "nobody")
    assert code != 0 and "team" in out and "nobody" in out and "Traceback" not in out
    code, out = factory("insights", "flow", "vsm")
    assert code != 0 and "epic" in out and "Traceback" not in out
