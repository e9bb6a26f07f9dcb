"""The tour bar shows only on the page its stop names, for a stop number that exists."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from digital_factory.web.tour import STOPS, current_stop, stop_url


def _request(path: str, query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


def test_a_stop_is_found_on_its_own_page() -> None:
    found = current_stop(_request("/portfolio/epics/EPIC-1", "tour=2"))
    assert found is not None and found[0] == 2 and found[1].title == "The epic as the loop's page"
    assert stop_url(2) == "/portfolio/epics/EPIC-1?tour=2"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/portfolio", ""),  # not on the tour
        ("/portfolio", "tour=abc"),
        ("/portfolio", "tour=0"),
        ("/portfolio", f"tour={len(STOPS) + 1}"),
        ("/teams", "tour=1"),  # wandered off stop 1's page
        ("/portfolio", "tour=-1"),
    ],
)
def test_no_bar_off_the_tour(path: str, query: str) -> None:
    assert current_stop(_request(path, query)) is None


def test_every_stop_is_a_page_of_the_web_ui() -> None:
    assert len(STOPS) == 11 and all(stop.path.startswith("/") and stop.text.endswith(".") for stop in STOPS)
