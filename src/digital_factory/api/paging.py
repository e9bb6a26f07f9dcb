"""Query parameters shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from digital_factory.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(page_request)]
