"""One way to page a query: count the matches, then fetch one page of them in the caller's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from digital_factory.core.pagination import Page, PageRequest

Row = TypeVar("Row")
Item = TypeVar("Item")
Out = TypeVar("Out", bound=BaseModel)


def paginate(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    to_items: Callable[[Sequence[Row]], Sequence[Item]],
    *,
    order_by: Sequence[Any] = (),
) -> Page[Item]:
    """`query` selects whole rows (one entity); `to_items` maps one page of them to DTOs in one call, so a
    mapper that needs related rows can load them for the page at once."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    ordered = query.order_by(*order_by) if order_by else query
    rows = list(session.scalars(ordered.limit(page.limit).offset(page.offset)))
    return Page(items=list(to_items(rows)), total=total, limit=page.limit, offset=page.offset)


def rows_as(model: type[Out]) -> Callable[[Sequence[object]], list[Out]]:
    """The usual `to_items`: each row read into `model` (an `OutputModel` reads a row's attributes)."""
    return lambda rows: [model.model_validate(row) for row in rows]
