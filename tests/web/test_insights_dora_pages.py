"""The DORA page: over HTTP (the hand-built data set's tiles, a bad period named, an unknown scope a 404) and
in real Chromium (scope picked from the service page's link, charts drawn as SVG, the table view, contrast)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import SystemClock
from tests.browser import LiveServer, horizontal_overflow, low_contrast, sign_in
from tests.factories import DEFAULT_PASSWORD, MadeUser, make_user, web_login
from tests.insights.dora_world import SERVICE, build

TEXT = "dl.figures dt, dl.figures dd, figcaption, table caption, th, td, .badge, .muted, label"


def _viewer(runtime: Runtime) -> MadeUser:
    build(runtime)
    runtime.store.clock = SystemClock()  # the data keeps its times; sessions live in today's time
    return make_user(runtime, "vera", Role.VIEWER)


def test_the_page_shows_the_five_figures_with_bands_and_samples(client: TestClient, runtime: Runtime) -> None:
    web_login(client, _viewer(runtime))
    page = client.get("/insights/dora", params={"scope": f"service:{SERVICE}", "period": "2026-W10"})
    assert page.status_code == 200, page.text
    text = page.text
    for shown in ("1.00/day", "6.0 h", "37.5%", "2.0 h", "28.6%", "n = 7 deployments", "n = 9 changes"):
        assert shown in text, shown
    assert 'data-testid="unlinked">1<' in text and "p85 22.0 h" in text
    assert text.count('data-testid="tile"') == 5
    bad = client.get("/insights/dora", params={"period": "2026-Q7"})
    assert bad.status_code == 422 and "is not a year, quarter" in bad.text
    wrong = client.get("/insights/dora", params={"scope": "planet:mars"})
    assert wrong.status_code == 422 and "scope" in wrong.text
    assert client.get("/insights/dora", params={"scope": "service:no-such"}).status_code == 404


def test_the_scope_picker_offers_twenty_scopes_and_narrows_by_kind(client: TestClient, runtime: Runtime) -> None:
    viewer = _viewer(runtime)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        for n in range(30):
            catalog.register_service(uow, ServiceCreate(key=f"zz-{n:02d}", name=f"Zz {n:02d}"))
    web_login(client, viewer)
    page = client.get("/insights/dora", params={"scope": "service:zz-29"}).text
    offered = page[page.index('<datalist id="scope-options">') :]
    offered = offered[: offered.index("</datalist>")]
    assert 0 < offered.count("<option ") <= 20 and 'hx-get="/lookup/scopes?field=scope"' in page
    assert 'value="service:zz-29"' in page  # the chosen scope stays in the input
    services = client.get("/lookup/scopes", params={"q": "service:zz-2"}).text
    assert re.findall(r'<option value="([^"]+)">', services) == [f"service:zz-2{n}" for n in range(10)]
    assert '<option value="service:zz-21">Zz 21 (service)</option>' in services
    mixed = re.findall(r'<option value="([a-z_]+):', client.get("/lookup/scopes").text)
    assert len(mixed) <= 20 and "service" in mixed


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FACTORY_TEST_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
def test_the_page_in_chromium(live_server: LiveServer, page: Page, shots: Path) -> None:
    _viewer(live_server.runtime)
    sign_in(page, live_server.url, "vera", DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/catalog/services/{SERVICE}")
    page.get_by_test_id("dora-link").click()
    expect(page.get_by_test_id("scope")).to_have_value(f"service:{SERVICE}")
    page.get_by_label("Period").fill("2026-Q1")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("tile-value").first).to_have_text("0.08/day")
    for chart in ("frequency", "times", "rates"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("svg path").first).to_be_attached()
    page.get_by_text("The trend as a table").click()
    expect(page.get_by_test_id("trend-table").locator("tbody tr")).to_have_count(14)
    expect(page.get_by_test_id("trend-table")).to_contain_text("7 (1.00/day)")
    assert not low_contrast(page, TEXT), low_contrast(page, TEXT)
    assert horizontal_overflow(page) == 0
    page.screenshot(path=str(shots / "insights-dora-service.png"), full_page=True)
    page.get_by_test_id("scope").fill("")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("service-table")).to_contain_text(SERVICE)
    page.screenshot(path=str(shots / "insights-dora-all.png"), full_page=True)
