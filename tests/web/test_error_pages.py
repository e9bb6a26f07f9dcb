"""Every web error is one page in the layout: what happened, what to do, and the way back."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core import errors
from tests.factories import make_user, web_login

FAILURES: dict[str, tuple[int, str, Exception]] = {
    "refused": (403, "Not allowed", errors.PermissionDenied("only the board decides")),
    "missing": (404, "Not found", errors.NotFound("there is no epic 'EPIC-99'")),
    "clash": (409, "Conflict", errors.Conflict("the column is full")),
    "invalid": (422, "Invalid input", errors.ValidationFailed.on("title", "must not be empty")),
    "throttled": (429, "Too many requests", errors.RateLimited("slow down", retry_after_seconds=30)),
    "broken": (500, "Something went wrong", RuntimeError("a bug")),
}


@pytest.fixture
def failing(client: TestClient, runtime: Runtime) -> TestClient:
    """A portfolio address that fails in each of the ways above, and a client that sees the 500 page."""

    def fail(kind: str) -> None:
        raise FAILURES[kind][2]

    client.app.add_api_route("/portfolio/failing/{kind}", fail, methods=["GET"])  # type: ignore[attr-defined]
    browser = TestClient(client.app, base_url="http://testserver", raise_server_exceptions=False)
    web_login(browser, make_user(runtime, "bea", Role.BOARD))
    return browser


@pytest.mark.parametrize("kind", list(FAILURES))
def test_each_error_is_a_page_in_the_layout_with_the_way_back(failing: TestClient, kind: str) -> None:
    status, title, exc = FAILURES[kind]
    page = failing.get(f"/portfolio/failing/{kind}", headers={"Referer": "http://testserver/portfolio/backlog"})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f'<h1 id="error-title">{title}</h1>' in html and f"Error {status}" in html
    assert '<nav class="sidebar" aria-label="Main">' in html  # the navigation of a signed-in person
    assert 'href="/portfolio" data-area="portfolio" aria-current="page"' in html
    assert '<a class="button primary" href="/portfolio/backlog">Back to where you were</a>' in html
    assert '<a href="/portfolio">Portfolio: start page</a>' in html
    if status == 500:
        assert "a bug" not in html and "incident" in html
    else:
        assert str(getattr(exc, "detail", "")).replace("'", "&#39;") in html
    if status == 429:
        assert page.headers["retry-after"] == "30"


def test_unknown_addresses_and_wrong_methods_get_the_page_too(failing: TestClient) -> None:
    missing = failing.get("/delivery/no/such/page")
    assert missing.status_code == 404 and "There is no page at /delivery/no/such/page." in missing.text
    assert '<a class="button primary" href="/delivery">Delivery: start page</a>' in missing.text
    wrong = failing.get("/portfolio/epics/EPIC-1/move")
    assert wrong.status_code == 405 and "does not accept a GET request" in wrong.text
    assert wrong.headers["allow"] == "POST"
    foreign = failing.get("/portfolio/failing/missing", headers={"Referer": "https://elsewhere.example/x"})
    assert "Back to where you were" not in foreign.text  # only pages of this site are a way back


def test_signed_out_people_get_the_page_with_a_way_to_sign_in(client: TestClient) -> None:
    page = client.get("/teams/nothing/here")
    assert page.status_code == 404 and '<h1 id="error-title">Not found</h1>' in page.text
    assert 'aria-label="Main"' not in page.text and 'href="/login?next=/teams"' in page.text


def test_a_repository_address_opened_in_a_browser_gets_the_page_and_git_gets_text(client: TestClient) -> None:
    browser = client.get("/git/nothing.git", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 404 and browser.headers["content-type"].startswith("text/html")
    assert "There is no repository page at /git/nothing.git" in browser.text
    assert 'href="/catalog">The service catalog</a>' in browser.text
    git = client.get("/git/nothing.git")
    assert git.status_code == 404 and git.headers["content-type"].startswith("text/plain")


PAGED_LISTS = (
    *("/admin/users", "/admin/audit", "/product", "/platform/fleet", "/platform/scorecards", "/teams"),
    *("/catalog", "/delivery", "/releases", "/repositories", "/portfolio/backlog", "/telemetry"),
)


def test_an_offset_past_any_list_is_an_invalid_input_page(client: TestClient, runtime: Runtime) -> None:
    """Before, an offset over 64 bits overflowed the store's driver and answered 500."""
    web_login(client, make_user(runtime, "ada", Role.ADMIN))
    for path in PAGED_LISTS:
        assert client.get(path).status_code == 200, path
        page = client.get(path, params={"offset": str(2**64)})
        assert page.status_code == 422 and "Invalid input" in page.text, path
        assert "offset" in page.text, path
