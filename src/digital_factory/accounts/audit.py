"""Recording and reading the audit log. Every service that changes state calls `record`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select

from digital_factory.accounts import models
from digital_factory.accounts.schemas import AuditEntry, AuditFilter
from digital_factory.core.actor import Actor
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.paging import paginate, rows_as
from digital_factory.store.uow import UnitOfWork

_MASKED_KEYS = ("password", "secret", "digest", "token", "key")


def record(
    uow: UnitOfWork,
    action: str,
    object_type: str,
    object_id: str | int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "success",
    detail: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Append one entry in the caller's transaction: it is stored exactly when the change is."""
    values = _entry(uow, actor or uow.actor, action, object_type, object_id)
    uow.session.add(models.AuditEvent(**values, outcome=outcome, before=mask(before), after=mask(after), detail=detail))


def record_each(uow: UnitOfWork, action: str, object_type: str, changes: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """One successful entry per (object id, what it became), by the unit's actor, in one statement."""
    if changes:
        rows = [
            {**_entry(uow, uow.actor, action, object_type, object_id), "after": mask(after)}
            for object_id, after in changes
        ]
        uow.session.execute(insert(models.AuditEvent), rows)


def _entry(uow: UnitOfWork, who: Actor, action: str, object_type: str, object_id: str | int | None) -> dict[str, Any]:
    return {
        "at": uow.clock.now(),
        "actor_user_id": who.user_id,
        "actor_name": who.name,
        "token_id": who.token_id,
        "origin": str(who.origin),
        "ip": who.ip,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
    }


def mask(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Secret-bearing fields never reach the audit log, whatever a caller passes."""
    if values is None:
        return None
    return {key: "***" if any(part in key.lower() for part in _MASKED_KEYS) else value for key, value in values.items()}


def list_entries(uow: UnitOfWork, filters: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
    event = models.AuditEvent
    query = select(event)
    for column, wanted in (
        (event.action, filters.action),
        (event.object_type, filters.object_type),
        (event.object_id, filters.object_id),
        (event.actor_name, filters.actor),
    ):
        if wanted:
            query = query.where(column == wanted)
    return paginate(uow.session, query, page, rows_as(AuditEntry), order_by=[models.AuditEvent.id.desc()])
