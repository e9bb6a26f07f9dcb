"""Server paging for list pages: where the rows shown sit in the whole list, and the links to the pages
before and after, with the page's filters kept in the query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query

from digital_factory.core.pagination import MAX_OFFSET, Page

# A list page's `offset` query parameter; a larger one is a 422 page, not a store overflow.
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@dataclass(frozen=True)
class Pager:
    first: int  # 1-based position of the first row shown; 0 when none is
    last: int
    total: int
    previous: str | None  # the page before's URL, None on the first page
    next: str | None

    @property
    def pages(self) -> bool:
        """Whether the list needs more than one page."""
        return self.previous is not None or self.next is not None


def pager(
    url: str,
    filters: Mapping[str, str | None],
    *,
    offset: int,
    limit: int,
    shown: int,
    total: int,
    anchor: str = "",
) -> Pager:
    """The pager of a page of `shown` rows from `offset` out of `total`; empty filters are left out. With an
    `anchor`, the links open the page at that section (a list further down a page)."""
    kept = {name: value for name, value in filters.items() if value}
    fragment = f"#{anchor}" if anchor else ""

    def link(at: int) -> str:
        query = urlencode({**kept, **({"offset": str(at)} if at else {})})
        return (f"{url}?{query}" if query else url) + fragment

    return Pager(
        first=offset + 1 if shown else 0,
        last=offset + shown,
        total=total,
        previous=link(max(offset - limit, 0)) if offset > 0 else None,
        next=link(offset + limit) if offset + shown < total else None,
    )


def pager_of(url: str, filters: Mapping[str, str | None], page: Page[Any], *, anchor: str = "") -> Pager:
    """The pager of a page of rows a service read."""
    shown = len(page.items)
    return pager(url, filters, offset=page.offset, limit=page.limit, shown=shown, total=page.total, anchor=anchor)
