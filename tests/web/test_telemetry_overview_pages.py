"""The telemetry area page a page at a time: only services that sent something, 50 a page by key, figures
read for the page's rows alone (services that sent nothing, or sit on other pages, cost no statement)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import NotFound
from digital_factory.core.pagination import PageRequest
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, LogLine, MetricKind, Point
from digital_factory.web.telemetry.figures import ERROR_SEVERITIES, headline, overview
from tests.factories import actor_of, web_login
from tests.releases.builders import OTHER, SERVICE
from tests.statements import selects
from tests.telemetry.builders import nanos
from tests.web.test_telemetry_pages import seed as seed_flight_control

ROW = re.compile(r'<tr data-service="([a-z0-9-]+)">')
SENDERS = 54  # svc-00 … svc-53 sent something; svc-54 … svc-56 nothing


def _register(runtime: Runtime, keys: list[str]) -> None:
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for key in keys:
            catalog.register_service(uow, ServiceCreate(key=key, name=key.replace("-", " ").title()))


def _send(runtime: Runtime, keys: list[str], at: datetime) -> None:
    """Even services send a gauge point, odd ones two log lines (one an error)."""
    batches = []
    for n, key in enumerate(keys):
        if n % 2:
            logs = (LogLine(nanos(at), "ERROR", f"{key} failed"), LogLine(nanos(at) + 1, "INFO", f"{key} ok"))
            batches.append(Batch(service=key, environment="prod", logs=logs))
        else:
            point = Point("queue.depth", MetricKind.GAUGE, (), nanos(at), 3.0)
            batches.append(Batch(service=key, environment="prod", points=(point,)))
    with runtime.store.unit_of_work(system_actor("ingest")) as uow:
        write_batches(uow, batches)


def seed(runtime: Runtime) -> dict[str, object]:
    """flight-control with half an hour of traffic, 54 more services that sent a little, 3 silent ones and
    engine-control (silent too): 55 services sent telemetry."""
    people = seed_flight_control(runtime)
    keys = [f"svc-{n:02d}" for n in range(SENDERS + 3)]
    _register(runtime, keys)
    _send(runtime, keys[:SENDERS], datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    return dict(people)


def test_the_area_pages_the_services_that_sent_telemetry(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])  # type: ignore[arg-type]
    first = client.get("/telemetry").text
    assert "showing 1–50 of 55 services" in first
    assert ROW.findall(first) == [SERVICE] + [f"svc-{n:02d}" for n in range(49)]
    assert 'rel="next" href="/telemetry?offset=50"' in first and 'rel="prev"' not in first
    assert 'data-testid="rate-flight-control">6.0<' in first and OTHER not in ROW.findall(first)

    second = client.get("/telemetry", params={"offset": 50}).text
    assert "showing 51–55 of 55 services" in second
    assert ROW.findall(second) == [f"svc-{n:02d}" for n in range(49, SENDERS)]
    assert 'rel="prev" href="/telemetry"' in second and 'rel="next"' not in second
    svc_51 = second[second.index('data-service="svc-51"') :].split("</tr>")[0]
    assert '<span class="badge bad">1</span>' in svc_51  # its error line of the last 24 hours
    assert 'data-testid="rate-svc-51">-<' in svc_51  # it sent no requests
    assert client.get("/telemetry", params={"offset": -1}).status_code == 422


def test_the_rows_show_what_the_service_page_headline_shows(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        now = uow.clock.now()
        row = overview(uow).items[0]
        expected = headline(uow, SERVICE, None, 1, now)
        day = telemetry.severity_counts(uow, SERVICE, since=now - timedelta(hours=24))
    assert row.key == SERVICE and row.name == "Flight control" and row.last_seen is not None
    assert row.headline.requests_per_min == pytest.approx(6.0) == expected.requests_per_min
    assert row.headline.error_pct == pytest.approx(100 * 30 / 360) == expected.error_pct
    assert row.headline.p95_ms == expected.p95_ms and row.headline.p95_ms is not None
    assert row.headline.log_errors == sum(c.count for c in day if c.severity in ERROR_SEVERITIES) == 1


def test_more_services_cost_the_first_page_no_statement(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])  # type: ignore[arg-type]
    with selects(runtime) as before:
        assert "showing 1–50 of 55 services" in client.get("/telemetry").text
    later = [f"zz-{n:02d}" for n in range(40)]
    _register(runtime, later)
    _send(runtime, later[:30], datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2))
    with selects(runtime) as after:
        assert "showing 1–50 of 85 services" in client.get("/telemetry").text
    assert len(after) == len(before)


def test_senders_and_their_counts_are_read_in_a_few_queries(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        page = telemetry.services_sending(uow, PageRequest(limit=3, offset=1))
        counts = telemetry.severity_counts_of(uow, ["svc-01", "svc-02", OTHER], since=datetime(2020, 1, 1, tzinfo=UTC))
        with pytest.raises(NotFound):
            telemetry.severity_counts_of(uow, ["no-such-service"], since=datetime(2020, 1, 1, tzinfo=UTC))
    assert [s.key for s in page.items] == ["svc-00", "svc-01", "svc-02"] and page.total == 55
    assert all(s.last_seen is not None for s in page.items)
    assert {k: [(c.severity, c.count) for c in v] for k, v in counts.items()} == {
        "svc-01": [("ERROR", 1), ("INFO", 1)],
        "svc-02": [],
        OTHER: [],
    }
