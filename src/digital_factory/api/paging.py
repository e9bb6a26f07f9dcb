"""Query parameters shared by every list endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from digital_factory.core.pagination import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE, PageRequest

# Row ids are 32-bit on PostgreSQL; anything larger cannot exist and would overflow the driver.
MAX_ROW_ID = MAX_OFFSET
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A numeric id.")]


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(page_request)]
