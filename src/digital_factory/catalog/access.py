"""Finding a service or value stream row and deciding who may change a service (private to the domain;
see service.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.catalog import models
from digital_factory.core.errors import NotFound
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

MAINTAINERS = (Role.PLATFORM,)  # besides the owning team and admin


def service_row(uow: UnitOfWork, key: str) -> models.Service:
    row = uow.session.scalar(select(models.Service).where(models.Service.key == key))
    if row is None:
        raise NotFound(f"no service with the key {key!r}")
    return row


def service_id(uow: UnitOfWork, key: str) -> int:
    """The id behind a service key, for other domains' foreign keys."""
    return service_row(uow, key).id


def service_ids(uow: UnitOfWork, keys: Iterable[str]) -> dict[str, int]:
    """The ids behind service keys, in one read (unknown keys are left out)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = uow.session.execute(select(models.Service.key, models.Service.id).where(models.Service.key.in_(wanted)))
    return {key: ident for key, ident in rows}


def require_service_maintainer(uow: UnitOfWork, row: models.Service, what: str = "") -> None:
    """Service metadata, dependencies and work links: the owning team's members with `delivery:write`, or the
    platform role (docs/accounts.md, "Ownership")."""
    permission = Permission.DELIVERY_WRITE
    teams.require_owner(uow, row.owner_team_id, permission, what=what or f"the service {row.key}", roles=MAINTAINERS)


def value_stream_row(uow: UnitOfWork, key: str) -> models.ValueStream:
    row = uow.session.scalar(select(models.ValueStream).where(models.ValueStream.key == key))
    if row is None:
        raise NotFound(f"no value stream with the key {key!r}")
    return row
