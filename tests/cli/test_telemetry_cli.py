"""`factory telemetry …` against a real server: a query's value, a range table, series and a bad query."""

from __future__ import annotations

import time

from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from digital_factory.telemetry.points import MetricKind, Point
from tests.browser import LiveServer
from tests.factories import MadeUser, make_user
from tests.telemetry.builders import NANOS, make_service, write


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_telemetry_commands(live_server: LiveServer) -> None:
    runtime = live_server.runtime
    service = make_service(runtime, "fleet-api")
    now = int(time.time()) * NANOS
    flights = [
        Point("drone.flights", MetricKind.COUNTER, (("payload", "heavy"),), now - i * NANOS, 1) for i in range(7)
    ]
    write(runtime, service, flights)
    viewer = make_user(runtime, "vic", Role.VIEWER)

    code, out = factory(live_server, viewer, "telemetry", "query", 'sum(drone.flights{payload="heavy"}[1h])')
    assert (code, out.strip()) == (0, "7"), out
    code, out = factory(live_server, viewer, "telemetry", "query", "sum(drone.flights[1h])", "--service", "nope")
    assert code != 0 and "nope" in out, out
    code, out = factory(live_server, viewer, "telemetry", "query", "sum(drone.flights)")
    assert code != 0 and "window" in out and "Traceback" not in out, out
    code, out = factory(live_server, viewer, "telemetry", "series", service)
    assert code == 0 and "drone.flights" in out and "payload=heavy" in out, out
    code, out = factory(live_server, viewer, "telemetry", "range", "drone.flights", "--hours", "2", "--by", "payload")
    assert code == 0 and "payload=heavy" in out and "7" in out, out
