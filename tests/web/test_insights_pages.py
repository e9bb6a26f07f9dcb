"""The insights pages over HTTP: the start page, the board dashboard and its download, attribution with a
refused question, the platform dashboard of an empty store."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user, web_login
from tests.insights.boardpack_data import portfolio_for_q4


def test_the_start_page_links_every_dashboard(client: TestClient, runtime: Runtime) -> None:
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    page = client.get("/insights")
    assert page.status_code == 200
    for href in ("/insights/board", "/insights/platform", "/insights/attribution", "/portfolio/epics", "/teams"):
        assert f'href="{href}"' in page.text
    assert client.get("/area/insights", follow_redirects=False).headers["location"] == "/insights"


def test_the_board_dashboard_and_its_download(client: TestClient, runtime: Runtime) -> None:
    keys = portfolio_for_q4(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    page = client.get("/insights/board", params={"period": "2026-Q4"})
    assert page.status_code == 200
    assert re.findall(r'data-decision="([^"]+)"', page.text) == [keys["overdue"], keys["due"]]
    assert page.text.count('data-epic="') == 4 and 'data-testid="chart-epics"' in page.text
    download = client.get("/insights/board-pack.html", params={"period": "2026-Q4"})
    assert download.headers["content-disposition"] == 'attachment; filename="board-pack-2026-Q4.html"'
    assert keys["due"] in download.text and "/static/" not in download.text
    refused = client.get("/insights/board", params={"period": "next year"})
    assert refused.status_code == 422 and "not a period" in refused.text


def test_attribution_answers_and_refuses_in_words(client: TestClient, runtime: Runtime) -> None:
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    empty = client.get("/insights/attribution")
    assert empty.status_code == 200 and 'data-testid="attribution-form"' in empty.text
    none = client.get("/insights/attribution", params={"subject": "flag", "key": "nope", "kpi": "sum(a.b[1d])"})
    assert none.status_code == 200 and "No releases of flag nope" in none.text
    bad = client.get("/insights/attribution", params={"subject": "flag", "key": "x", "kpi": "sum(a.b[1m])"})
    assert bad.status_code == 422 and "kpi: the window [1m] must be 1h to 14d" in bad.text
    days = client.get(
        "/insights/attribution", params={"subject": "flag", "key": "x", "kpi": "sum(a.b[1d])", "days": "a"}
    )
    assert days.status_code == 422 and "days" in days.text


def test_the_platform_dashboard_of_an_empty_store(client: TestClient, runtime: Runtime) -> None:
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    page = client.get("/insights/platform")
    assert page.status_code == 200
    assert "No onboarding has finished yet." in page.text and "No service was made from a template yet." in page.text
