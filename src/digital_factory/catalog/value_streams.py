"""Value streams: the groups of services that deliver value to one set of customers. Callers own the
transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import models
from digital_factory.catalog.access import value_stream_row
from digital_factory.catalog.schemas import ValueStream, ValueStreamCreate, ValueStreamUpdate
from digital_factory.core.errors import Conflict
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams


def create_value_stream(uow: UnitOfWork, data: ValueStreamCreate) -> ValueStream:
    require(uow.actor, Permission.PLATFORM_WRITE)
    clash = uow.session.scalar(
        select(models.ValueStream).where(or_(models.ValueStream.key == data.key, models.ValueStream.name == data.name))
    )
    if clash is not None:
        raise Conflict(f"a value stream {clash.name!r} ({clash.key}) already exists", rule="unique-value-stream")
    row = models.ValueStream(key=data.key, name=data.name, description=data.description, created_at=uow.clock.now())
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, "value-stream.create", "value-stream", row.key, after=data.model_dump(mode="json"))
    return _value_streams_out(uow, [row])[0]


def update_value_stream(uow: UnitOfWork, key: str, data: ValueStreamUpdate) -> ValueStream:
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = value_stream_row(uow, key)
    before = {"name": row.name, "description": row.description}
    if data.name is not None and data.name != row.name:
        if uow.session.scalar(select(models.ValueStream.id).where(models.ValueStream.name == data.name)):
            raise Conflict(f"a value stream named {data.name!r} already exists", rule="unique-value-stream")
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    uow.session.flush()
    record_audit(
        uow,
        "value-stream.update",
        "value-stream",
        row.key,
        before=before,
        after={"name": row.name, "description": row.description},
    )
    return _value_streams_out(uow, [row])[0]


def delete_value_stream(uow: UnitOfWork, key: str) -> None:
    """Removes the stream; its services stay in the catalog, in no value stream."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    row = value_stream_row(uow, key)
    for service in uow.session.scalars(select(models.Service).where(models.Service.value_stream_id == row.id)):
        service.value_stream_id = None
    uow.session.delete(row)
    uow.session.flush()
    record_audit(uow, "value-stream.delete", "value-stream", key, before={"name": row.name})


def get_value_stream(uow: UnitOfWork, key: str) -> ValueStream:
    require(uow.actor, Permission.READ)
    return _value_streams_out(uow, [value_stream_row(uow, key)])[0]


def list_value_streams(uow: UnitOfWork) -> list[ValueStream]:
    require(uow.actor, Permission.READ)
    rows = list(uow.session.scalars(select(models.ValueStream).order_by(models.ValueStream.name)))
    return _value_streams_out(uow, rows)


def value_stream_keys(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(models.ValueStream.id, models.ValueStream.key).where(models.ValueStream.id.in_(wanted))
    )
    return dict(rows.all())


def _value_streams_out(uow: UnitOfWork, rows: Sequence[models.ValueStream]) -> list[ValueStream]:
    ids = [r.id for r in rows]
    service = models.Service
    # one row per stream and owner, not per service: a catalog has many more services than teams
    members = uow.session.execute(
        select(service.value_stream_id, service.owner_team_id, func.count())
        .where(service.value_stream_id.in_(ids))
        .group_by(service.value_stream_id, service.owner_team_id)
    ).all()
    owners = teams.team_refs(uow, {owner for _, owner, _ in members if owner})
    counts: dict[int, int] = defaultdict(int)
    team_keys: dict[int, set[str]] = defaultdict(set)
    for stream_id, owner, count in members:
        if stream_id is None:
            continue
        counts[stream_id] += int(count)
        if owner:
            team_keys[stream_id].add(owners[owner].key)
    return [
        ValueStream(
            id=r.id,
            key=r.key,
            name=r.name,
            description=r.description,
            created_at=r.created_at,
            services=counts[r.id],
            teams=sorted(team_keys[r.id]),
        )
        for r in rows
    ]
