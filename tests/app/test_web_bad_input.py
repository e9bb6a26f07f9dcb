"""The web answers bad input as the API does: ids no row can have are not found, NUL characters in a form
are refused naming the field, and a 405 says which methods the path answers."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user, web_login

HUGE_IDS = ("9223372036854775808", "18446744073709551617", "2147483648", "0", "abc")


def test_ids_no_row_can_have_are_not_found_on_web_pages(client: TestClient, runtime: Runtime) -> None:
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    form = {"csrf_token": csrf, "comment": "go"}
    for huge in HUGE_IDS:
        for method, url in (
            ("GET", f"/delivery/runs/{huge}"),
            ("GET", f"/delivery/runs/{huge}/events"),
            ("POST", f"/delivery/runs/{huge}/cancel"),
            ("POST", f"/delivery/runs/1/steps/{huge}/retry"),
            ("POST", f"/delivery/deployments/{huge}/approve"),
        ):
            response = client.request(method, url, data=form if method == "POST" else None)
            assert response.status_code == 404, (method, url, response.status_code, response.text[:300])


def test_nul_in_a_form_is_refused_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    response = client.post("/portfolio/epics/new", data={"csrf_token": csrf, "title": "Heavy\x00lift"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "title", "reason": "must not contain NUL characters"}]
    assert "Heavy" not in client.get("/portfolio").text


def test_405_on_a_web_page_carries_allow(client: TestClient, runtime: Runtime) -> None:
    response = client.request("DELETE", "/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_an_unreadable_import_file_is_refused_on_the_page(client: TestClient, runtime: Runtime) -> None:
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    response = client.post(
        "/portfolio/import", data={"csrf_token": csrf}, files={"file": ("broken.json", b"{oops", "application/json")}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.text
