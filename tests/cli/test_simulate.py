"""`factory simulate fleet` against a real server: what it says it sent is what the query API answers, the
heavy-lift flag read over OFREP moves heavy-lift sales, and a refused key or an absent server is one line."""

from __future__ import annotations

import re

import httpx
import pytest
from typer.testing import CliRunner

from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate, ServiceCreate
from digital_factory.cli.root import app
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange
from tests.browser import LiveServer, free_port
from tests.factories import MadeUser, actor_of
from tests.releases.builders import SERVICE, flight_control, make_flag

SENT = re.compile(
    r"(?P<rounds>\d+) rounds sent as fleet-api/prod: (?P<flights>\d+) flights, (?P<points>\d+) points, "
    r"(?P<spans>\d+) spans, (?P<logs>\d+) log records; units sold: heavy-lift (?P<heavy>\d+), light-lift (?P<light>\d+)"
)


class Fleet:
    """fleet-api (reporting) and flight-control's dev flags, with their keys, on the live server."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        people = flight_control(server.runtime)
        self.reader: MadeUser = people["vic"]
        make_flag(server.runtime, key="heavy-lift-mode")
        make_flag(server.runtime, key="max-payload-kg", type="float", variants={"standard": 2.5, "heavy": 7.5})
        with server.runtime.store.unit_of_work(actor_of(server.runtime, "pia")) as uow:
            catalog.register_service(
                uow, ServiceCreate(key="fleet-api", name="Fleet API", owner_team="flight-software")
            )
        with server.runtime.store.unit_of_work(actor_of(server.runtime, "flight")) as uow:
            made = catalog.create_ingestion_key(uow, server.runtime.digester, "fleet-api", IngestionKeyCreate())
            self.ingestion_key = made.secret
            self.flag_key = releases.create_client_key(uow, server.runtime.digester, SERVICE, "dev").secret

    def release_heavy_lift(self) -> None:
        with self.server.runtime.store.unit_of_work(actor_of(self.server.runtime, "pm")) as uow:
            releases.request_change(uow, SERVICE, "heavy-lift-mode", "dev", FlagChange(enabled=True))
            change = FlagChange.model_validate({"enabled": True, "default": {"variant": "heavy"}})
            releases.request_change(uow, SERVICE, "max-payload-kg", "dev", change)

    def simulate(self, *options: str, key: str | None = None) -> tuple[int, str, str]:
        args = ["simulate", "fleet", "--url", self.server.url, "--key", key or self.ingestion_key]
        args += ["--flag-key", self.flag_key, "--service", "fleet-api", "--env", "prod", "--speed", "0", *options]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        return result.exit_code, result.stdout, result.stderr

    def query(self, text: str) -> float | None:
        answer = httpx.get(
            f"{self.server.url}/api/v1/telemetry/query",
            params={"q": text, "service": "fleet-api"},
            headers=self.reader.headers,
        )
        assert answer.status_code == 200, answer.text
        value = answer.json()["value"]
        return None if value is None else float(value)


def _sent(stdout: str) -> dict[str, int]:
    match = SENT.search(stdout)
    assert match, stdout
    return {name: int(value) for name, value in match.groupdict().items()}


@pytest.fixture
def fleet(live_server: LiveServer) -> Fleet:
    return Fleet(live_server)


def test_what_the_fleet_sends_is_what_the_query_api_answers_and_the_flag_moves_sales(fleet: Fleet) -> None:
    code, out, err = fleet.simulate("--count", "6", "--round-minutes", "10", "--drones", "8", "--seed", "4")
    assert code == 0, err
    first = _sent(out)
    assert first["rounds"] == 6 and first["flights"] > 0 and first["spans"] > 0 and first["logs"] > 0
    assert fleet.query("sum(drone.flights[1h])") == first["flights"]
    assert fleet.query('sum(business.units_sold{product="light-lift"}[1h])') == (first["light"] or None)
    off = fleet.query('sum(business.units_sold{product="heavy-lift"}[1d])') or 0
    assert off == first["heavy"]

    fleet.release_heavy_lift()
    code, out, err = fleet.simulate("--count", "6", "--round-minutes", "60", "--drones", "8", "--seed", "4")
    assert code == 0, err
    second = _sent(out)
    assert second["heavy"] > max(3 * first["heavy"], 5)
    assert fleet.query('sum(business.units_sold{product="heavy-lift"}[1d])') == off + second["heavy"]
    assert (fleet.query('sum(drone.flights{payload="heavy"}[1d])') or 0) > second["flights"] / 4
    assert fleet.query("sum(drone.flights[1d])") == first["flights"] + second["flights"]


def test_the_same_seed_sends_the_same_figures(fleet: Fleet) -> None:
    runs = [fleet.simulate("--count", "2", "--drones", "4", "--seed", "9") for _ in range(2)]
    assert runs[0][0] == runs[1][0] == 0
    assert _sent(runs[0][1]) == _sent(runs[1][1])


def _last_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return lines[-1]


def test_a_refused_ingestion_key_stops_with_one_line(fleet: Fleet) -> None:
    runtime = fleet.server.runtime
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        revoked = catalog.create_ingestion_key(uow, runtime.digester, "fleet-api", IngestionKeyCreate(name="old"))
        catalog.revoke_ingestion_key(uow, "fleet-api", revoked.key.public_id)
        other = catalog.create_ingestion_key(uow, runtime.digester, SERVICE, IngestionKeyCreate()).secret
    code, out, err = fleet.simulate("--count", "3", key=revoked.secret)
    assert code == 1 and "rounds sent" not in out
    assert _last_line(err) == "error: /v1/metrics answered 401: the ingestion key is revoked (after 0 rounds)", err

    code, out, err = fleet.simulate("--count", "3", key=other)  # another service's key: refused, not stored
    assert code == 1
    line = _last_line(err)
    assert re.fullmatch(
        r"error: /v1/metrics kept only part of the round: \d+ data points rejected: "
        r"service.name 'fleet-api' is not this key's service 'flight-control' \(after 0 rounds\)",
        line,
    ), err
    assert fleet.query("sum(drone.flights[1d])") is None


def test_a_wrong_flag_key_stops_with_one_line(fleet: Fleet) -> None:
    fleet.flag_key = "dffk_wrong"
    code, _, err = fleet.simulate("--count", "1")
    assert code == 1
    assert _last_line(err).startswith("error: could not evaluate 'heavy-lift-mode' over OFREP: "), err


def test_a_server_that_is_not_there_stops_with_one_line(fleet: Fleet) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    fleet.server = LiveServer(url=nowhere, runtime=fleet.server.runtime)
    code, _, err = fleet.simulate("--count", "1", "--timeout", "0.5")
    assert code == 1
    expected = (
        f"error: could not evaluate 'heavy-lift-mode' over OFREP: {nowhere} could not be reached (after 0 rounds)"
    )
    assert _last_line(err) == expected, err
    fleet.flag_key = ""
    code, _, err = fleet.simulate("--count", "1", "--timeout", "0.5")
    assert code == 1
    assert (
        _last_line(err)
        == f"error: {nowhere}/v1/metrics could not be reached (refused, or no answer in time) (after 0 rounds)"
    ), err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--count", "2", "--duration", "5s"), "error: give either --duration or --count, not both"),
        (("--duration", "soon"), "error: --duration: 'soon' is not a duration like 60s, 5m or 1h"),
        (("--duration", "5s", "--speed", "0"), "error: a duration needs a speed above 0"),
    ],
)
def test_impossible_options_are_refused(fleet: Fleet, options: tuple[str, ...], message: str) -> None:
    code, _, err = fleet.simulate(*options)
    assert code == 2 and _last_line(err).startswith(message), err
