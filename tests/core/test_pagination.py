"""Page requests and pages: the bounds a client may ask for, and whether another page follows."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from digital_factory.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest


def test_a_page_request_defaults_to_the_first_page() -> None:
    request = PageRequest()
    assert (request.limit, request.offset) == (DEFAULT_PAGE_SIZE, 0) == (50, 0)


@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (MAX_PAGE_SIZE, 0), (10, 10_000)])
def test_page_requests_within_bounds(limit: int, offset: int) -> None:
    request = PageRequest(limit=limit, offset=offset)
    assert (request.limit, request.offset) == (limit, offset)


@pytest.mark.parametrize(
    ("limit", "offset", "field"), [(0, 0, "limit"), (MAX_PAGE_SIZE + 1, 0, "limit"), (10, -1, "offset")]
)
def test_page_requests_out_of_bounds_are_refused(limit: int, offset: int, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PageRequest(limit=limit, offset=offset)
    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    ("count", "total", "offset", "has_next"),
    [(0, 0, 0, False), (3, 3, 0, False), (3, 7, 0, True), (3, 7, 3, True), (1, 7, 6, False), (0, 7, 10, False)],
)
def test_has_next_when_items_remain_after_this_page(count: int, total: int, offset: int, has_next: bool) -> None:
    page = Page[int](items=list(range(count)), total=total, limit=3, offset=offset)
    assert page.has_next is has_next


def test_a_page_serialises_items_total_limit_offset() -> None:
    page = Page[str](items=["a", "b"], total=5, limit=2, offset=2)
    assert page.model_dump() == {"items": ["a", "b"], "total": 5, "limit": 2, "offset": 2}
    assert Page[str].model_validate({"items": ["x"], "total": 1, "limit": 50, "offset": 0}).items == ["x"]
