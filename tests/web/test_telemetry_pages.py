"""Telemetry pages: over HTTP (status codes, figures, who may make keys) and in real Chromium (charts drawn
as SVG, the explorer, the key made once and shown once)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, Buckets, LogLine, MetricKind, Point
from tests.browser import LiveServer, horizontal_overflow, low_contrast, sign_in
from tests.factories import DEFAULT_PASSWORD, MadeUser, actor_of, web_login
from tests.releases.builders import OTHER, SERVICE, flight_control
from tests.telemetry.builders import NANOS, nanos

ORIGIN = {"Origin": "http://testserver"}
PAGE = f"/telemetry/services/{SERVICE}"
MINUTES = 30  # of traffic before now: 10 requests a minute on /orders (1 failing), 2 on /health


def _minute_points(at: int) -> list[Point]:
    orders, health = (("route", "/orders"),), (("route", "/health"),)
    latency = Buckets((50.0, 100.0, 250.0, 500.0), (5, 3, 2, 0, 0), sum=900.0, min=20.0, max=240.0)
    quick = Buckets((50.0, 100.0, 250.0, 500.0), (2, 0, 0, 0, 0), sum=10.0, min=4.0, max=6.0)
    return [
        Point("red.requests", MetricKind.COUNTER, orders, at, 10),
        Point("red.requests", MetricKind.COUNTER, health, at, 2),
        Point("red.errors", MetricKind.COUNTER, orders, at, 1),
        Point("red.duration_ms", MetricKind.HISTOGRAM, orders, at, 10, buckets=latency),
        Point("red.duration_ms", MetricKind.HISTOGRAM, health, at, 2, buckets=quick),
        Point("drone.battery_pct", MetricKind.GAUGE, (("drone", "d-1"),), at, 90.0 - at % 7, unit="%"),
        Point("drone.flights", MetricKind.COUNTER, (), at, 3),
        Point("business.units_sold", MetricKind.COUNTER, (("product", "heavy-lift"),), at, 2),
        Point("customer.csat.score", MetricKind.GAUGE, (), at, 4.0 + (at // (60 * NANOS)) % 2),
        Point("customer.nps.response", MetricKind.GAUGE, (), at, 9.0),
    ]


def seed(runtime: Runtime) -> dict[str, MadeUser]:
    """flight-control (owned by flight-software: flight, fred) with half an hour of traffic in prod and a
    few log lines; vic is a viewer."""
    people = flight_control(runtime)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    moments = [nanos(now - timedelta(minutes=m)) for m in range(1, MINUTES + 1)]
    points = tuple(p for at in moments for p in _minute_points(at))
    logs = (
        LogLine(moments[0], "ERROR", "payment provider refused order 42", trace_id="ab" * 16),
        LogLine(moments[1], "WARN", "slow response from the fleet registry"),
        LogLine(moments[2], "INFO", "order 41 accepted"),
    )
    with runtime.store.unit_of_work(system_actor("ingest")) as uow:
        write_batches(uow, [Batch(service=SERVICE, environment="prod", points=points, logs=logs)])
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        catalog.create_ingestion_key(uow, runtime.digester, SERVICE, IngestionKeyCreate(name="fleet-exporter"))
    return people


TEXT = "dl.figures dt, dl.figures dd, .segmented a, figcaption, table caption, th, td, .badge, .field-error, .muted"
SVG_FILLS = "() => [...document.querySelectorAll('[data-chart] svg text')].map((t) => getComputedStyle(t).fill)"


def _luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _chart_text_contrasts(page: Page) -> set[float]:
    """The contrast on white of every distinct fill of the charts' text (axis labels, legends)."""
    fills = set(page.evaluate(SVG_FILLS))
    return {round(1.05 / (_luminance(fill) + 0.05), 2) for fill in fills}


# --- over HTTP -----------------------------------------------------------------------------------------


def test_the_area_lists_services_with_telemetry_and_their_last_hour(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    page = client.get("/telemetry")
    assert page.status_code == 200
    assert f'href="{PAGE}"' in page.text and f"/telemetry/services/{OTHER}" not in page.text  # no telemetry
    rate = re.search(r'data-testid="rate-flight-control">([^<]+)<', page.text)
    assert rate is not None and rate.group(1) == f"{12 * MINUTES / 60:.1f}"  # 360 requests in the hour
    assert client.get("/area/telemetry", follow_redirects=False).headers["location"] == "/telemetry"


def test_the_service_page_shows_red_figures_routes_business_and_logs(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    page = client.get(PAGE, params={"hours": 1})
    assert page.status_code == 200
    text = page.text
    assert 'data-testid="figure-rate">6.0<' in text
    assert 'data-testid="figure-errors">8.33<' in text  # 30 of 360
    assert 'data-testid="figure-log-errors">1<' in text
    assert re.findall(r'data-testid="route-requests">([^<]+)<', text) == ["300", "60"]
    assert "Units sold" in text and "CSAT (average score)" in text and "drone.battery_pct" in text
    assert re.search(
        r'NPS \(average response\)</dt><dd data-testid="business-\d">9</dd><dd class="muted note">30 responses', text
    )
    assert "payment provider refused order 42" in text and 'aria-current="page">prod<' in text
    errors_only = client.get(PAGE, params={"severity": "ERROR"})
    assert "payment provider refused" in errors_only.text and "order 41 accepted" not in errors_only.text
    live = client.get(f"{PAGE}/live", params={"env": "prod", "hours": 1})
    assert live.status_code == 200 and 'id="live"' in live.text and "<html" not in live.text
    every = client.get(PAGE, params={"env": "all", "hours": 1}).text
    assert 'data-testid="figure-rate">6.0<' in every and 'aria-current="page">all environments<' in every
    assert f"{PAGE}/live?env=all&amp;hours=1" in every
    staging = client.get(PAGE, params={"env": "staging"})
    assert staging.status_code == 200 and "No traced requests in staging" in staging.text


def test_unknown_services_environments_and_spans_are_not_found(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    assert client.get("/telemetry/services/no-such-service").status_code == 404
    assert client.get("/telemetry/services/no-such-service/live").status_code == 404
    assert client.get(PAGE, params={"env": "moon"}).status_code == 404
    assert client.get(PAGE, params={"hours": 5}).status_code == 404
    assert client.get(PAGE, params={"severity": "LOUD"}).status_code == 422


def test_the_explorer_charts_a_metric_and_names_a_bad_query(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    assert client.get("/telemetry/explore").status_code == 200
    chosen = {"service": SERVICE, "env": "prod", "metric": "red.requests", "aggregation": "sum", "by": "route"}
    page = client.get("/telemetry/explore", params={**chosen, "hours": 1, "step": 3600})
    assert page.status_code == 200 and 'data-testid="explore-chart"' in page.text
    assert re.search(r'<th scope="col" class="num">/health</th><th scope="col" class="num">/orders</th>', page.text)
    query = client.get("/telemetry/explore", params={"service": SERVICE, "q": "sum(red.requests[1h])"})
    assert re.search(r'data-testid="evaluation">360\.000<', query.text)
    bad = client.get("/telemetry/explore", params={"service": SERVICE, "q": "sum(red.requests"})
    assert bad.status_code == 200 and 'id="q-error"' in bad.text
    wrong = client.get("/telemetry/explore", params={**chosen, "aggregation": "median", "by": "planet"})
    assert wrong.status_code == 200 and 'id="by-error"' in wrong.text and "has no label" in wrong.text


def test_the_explorers_service_picker_offers_twenty_and_names_an_unknown_key(
    client: TestClient, runtime: Runtime
) -> None:
    people = seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(25):
            catalog.register_service(uow, ServiceCreate(key=f"zz-{n:02d}", name=f"Zz {n:02d}"))
    web_login(client, people["vic"])
    page = client.get("/telemetry/explore").text
    assert 'hx-get="/lookup/services?field=service"' in page
    offered = page[page.index('<datalist id="explore-service-options">') :]
    assert offered[: offered.index("</datalist>")].count("<option ") == 20  # of 27 services
    typed = client.get("/telemetry/explore", params={"service": "zz-24"})  # one the page did not offer
    assert typed.status_code == 200 and 'value="zz-24"' in typed.text and 'id="service-error"' not in typed.text
    unknown = client.get("/telemetry/explore", params={"service": "no-such", "metric": "red.requests"})
    assert unknown.status_code == 200 and 'id="service-error"' in unknown.text and "no-such" in unknown.text


def test_only_the_owning_team_makes_and_revokes_keys(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["power"])  # a member of another team
    other = client.get(PAGE).text
    assert "fleet-exporter" in other and "Create ingestion key" not in other and "Revoke" not in other
    client.cookies.clear()
    csrf = web_login(client, people["vic"])
    assert "Create ingestion key" not in client.get(PAGE).text
    refused = client.post(f"{PAGE}/keys", data={"csrf_token": csrf, "name": "ci"}, headers=ORIGIN)
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = web_login(client, people["flight"])
    made = client.post(f"{PAGE}/keys", data={"csrf_token": csrf, "name": "ci", "env": "staging"}, headers=ORIGIN)
    assert made.status_code == 200
    secret = re.search(r'data-testid="secret">(dfik_[^<]+)<', made.text)
    assert secret is not None
    assert f"OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer {secret.group(1)}" in made.text
    assert "OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=staging" in made.text
    again = client.get(PAGE)
    assert secret.group(1) not in again.text and "Revoke ci" in again.text
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        [made_key] = [k for k in catalog.list_ingestion_keys(uow, SERVICE) if k.name == "ci"]
    assert f"/keys/{made_key.public_id}/revoke" in again.text
    revoked = client.post(f"{PAGE}/keys/{made_key.public_id}/revoke", data={"csrf_token": csrf}, headers=ORIGIN)
    assert revoked.status_code == 200 and "Revoke ci" not in revoked.text and "Revoke fleet-exporter" in revoked.text
    assert "revoked " in revoked.text
    empty = client.post(f"{PAGE}/keys", data={"csrf_token": csrf, "name": ""}, headers=ORIGIN)
    assert empty.status_code == 422 and "No key was made: name:" in empty.text


# --- in Chromium -------------------------------------------------------------------------------------------


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: FACTORY_TEST_SCREENSHOTS to keep and look at them, else the test's tmp dir."""
    folder = Path(os.environ.get("FACTORY_TEST_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


@pytest.mark.browser
def test_the_service_page_draws_its_charts_and_refreshes(live_server: LiveServer, page: Page, shots: Path) -> None:
    seed(live_server.runtime)
    sign_in(page, live_server.url, "vic", DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Telemetry").click()
    expect(page.get_by_role("heading", level=1, name="Telemetry")).to_be_visible()
    _shot(page, shots, "area")
    page.get_by_role("link", name="Flight control").click()
    page.get_by_role("navigation", name="Time span").get_by_role("link", name="1 h").click()
    for chart in ("requests", "errors", "latency"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("svg path").first).to_be_attached()
        assert page.get_by_test_id(f"chart-{chart}").locator("svg path").count() > 0
    expect(page.get_by_test_id("figure-rate")).to_have_text("6.0")
    expect(page.locator(".multiples svg").first).to_be_visible()
    expect(page.get_by_test_id("keys")).to_contain_text("fleet-exporter")
    assert page.get_by_role("button", name=re.compile("Create ingestion key|Revoke")).count() == 0
    assert not low_contrast(page, TEXT)
    contrasts = _chart_text_contrasts(page)
    assert contrasts and min(contrasts) >= 4.5, contrasts
    _shot(page, shots, "service")
    page.evaluate("document.getElementById('live').dataset.before = 'yes'")
    with page.expect_response(re.compile(r"/live\?")):  # the figures block fetches itself again
        pass
    fresh = page.locator("#live:not([data-before])")
    expect(fresh.get_by_test_id("chart-requests").locator("svg path").first).to_be_attached()
    expect(fresh.get_by_test_id("figure-rate")).to_have_text("6.0")


@pytest.mark.browser
def test_the_explorer_and_a_maintainer_making_a_key(live_server: LiveServer, page: Page, shots: Path) -> None:
    seed(live_server.runtime)
    sign_in(page, live_server.url, "flight", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/telemetry/explore")
    form = page.get_by_test_id("explore-form")
    picker = form.get_by_label("Service")  # typing narrows the picker's options from /lookup/services
    picker.press_sequentially(SERVICE[:6], delay=30)
    expect(page.locator(f'#explore-service-options option[value="{SERVICE}"]')).to_be_attached()
    expect(page.locator(f'#explore-service-options option[value="{OTHER}"]')).not_to_be_attached()
    picker.fill(SERVICE)
    form.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(f"service={SERVICE}"))
    form.get_by_label("Metric").select_option("drone.battery_pct")
    form.get_by_label("Group by").select_option("")
    form.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("explore-chart").locator("svg path").first).to_be_attached()
    page.get_by_label(re.compile("^Query")).fill("p95(red.duration_ms[1h")
    page.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#q-error")).to_contain_text("unexpected character")
    _shot(page, shots, "explorer")

    page.goto(live_server.url + PAGE)
    keys = page.locator("#keys")
    keys.get_by_label("Key name").fill("collector")
    keys.get_by_role("button", name="Create ingestion key").click()
    secret = page.get_by_test_id("secret")
    expect(secret).to_have_text(re.compile(r"^dfik_"))
    expect(page.get_by_test_id("exporter")).to_contain_text("OTEL_SERVICE_NAME=flight-control")
    _shot(page, shots, "key-made")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the secret and the charts wrap
    assert horizontal_overflow(page) == 0
    _shot(page, shots, "key-made-phone")
    shown = secret.inner_text()
    page.goto(live_server.url + PAGE)
    expect(page.get_by_role("button", name="Revoke collector")).to_be_visible()
    assert shown not in page.content()
