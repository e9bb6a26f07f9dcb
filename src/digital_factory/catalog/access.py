"""Finding a service or value stream row and deciding who may change a service (private to the domain;
see service.py)."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import allowed
from digital_factory.catalog import models
from digital_factory.core.errors import NotFound, PermissionDenied
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams


def service_row(uow: UnitOfWork, key: str) -> models.Service:
    row = uow.session.scalar(select(models.Service).where(models.Service.key == key))
    if row is None:
        raise NotFound(f"no service with the key {key!r}")
    return row


def service_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a service key, for other domains' foreign keys."""
    return service_row(uow, key).id


def require_service_maintainer(uow: UnitOfWork, row: models.Service) -> None:
    if allowed(uow.actor, Permission.PLATFORM_WRITE):
        return
    owner = teams.team_key_of(uow, row.owner_team_id) if row.owner_team_id else None
    if owner is None or not teams.may_maintain(uow, owner):
        raise PermissionDenied(
            f"{uow.actor.name} may not change the service {row.key}: that needs {Permission.PLATFORM_WRITE} "
            "or membership of its owning team"
        )


def value_stream_row(uow: UnitOfWork, key: str) -> models.ValueStream:
    row = uow.session.scalar(select(models.ValueStream).where(models.ValueStream.key == key))
    if row is None:
        raise NotFound(f"no value stream with the key {key!r}")
    return row
