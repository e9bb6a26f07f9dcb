"""The one way delivery lists its records (runs, deployments, incidents): filtered, newest first, paged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.delivery import models
from digital_factory.store.paging import paginate
from digital_factory.store.uow import UnitOfWork

Listed = TypeVar("Listed", models.PipelineRun, models.Deployment, models.Incident)
Item = TypeVar("Item")


def newest_first(
    uow: UnitOfWork,
    model: type[Listed],
    page: PageRequest,
    item: Callable[[Listed], Item],
    *,
    service: str | None,
    **equal_to: str | None,
) -> Page[Item]:
    """The rows of `service` (when named) whose columns equal the filter values given (an empty one: any)."""
    require(uow.actor, Permission.READ)
    query = select(model)
    if service:
        query = query.filter_by(service_id=catalog.service_id(uow, service))
    query = query.filter_by(**{column: value for column, value in equal_to.items() if value})

    def items(rows: Sequence[Listed]) -> list[Item]:
        return [item(row) for row in rows]

    return paginate(uow.session, query, page, items, order_by=[model.id.desc()])
