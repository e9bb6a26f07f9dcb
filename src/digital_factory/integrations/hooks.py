"""Hooks and their mappings: created, rotated, mapped and deleted by the owning team (its members, the
platform role, admin); read by everyone who may read. A mapping names a service the actor may change, so a
hook of one team cannot write delivery records into another team's service.

The secret is generated here, shown once, and kept encrypted with delivery's `SecretBox` (the HMAC of a
GitHub delivery needs it back)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import generate_secret, record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, NotFound
from digital_factory.delivery.service import SecretBox
from digital_factory.integrations import models
from digital_factory.integrations.schemas import (
    Counts,
    CreatedHook,
    DeliveryOut,
    Hook,
    HookCreate,
    HookDetail,
    Mapping,
    MappingCreate,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

KEY_PREFIX = "dfwh"
RECENT = 20


def _require_owner(uow: UnitOfWork, team_id: int) -> None:
    what = f"the hooks of team {teams.team_key_of(uow, team_id)}"
    teams.require_owner(uow, team_id, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])


def may_change_hooks(uow: UnitOfWork, team_key: str) -> bool:
    """Whether the actor may create and map hooks of this team (pages offer only what the person may do)."""
    return teams.may_act(uow, teams.team_id(uow, team_key), Permission.DELIVERY_WRITE, [Role.PLATFORM])


def hook_row(uow: UnitOfWork, public_id: str) -> models.Hook:
    row = None
    if 0 < len(public_id) <= 16:
        row = uow.session.scalar(select(models.Hook).where(models.Hook.public_id == public_id))
    if row is None:
        raise NotFound(f"there is no hook {public_id[:40]!r}")
    return row


def create_hook(uow: UnitOfWork, box: SecretBox, data: HookCreate) -> CreatedHook:
    team_id = teams.team_id(uow, data.team)
    _require_owner(uow, team_id)
    secret = generate_secret(KEY_PREFIX)
    row = models.Hook(
        public_id=secret.public_id,
        kind=data.kind,
        team_id=team_id,
        name=data.name,
        ciphertext=box.seal(secret.full),
        created_at=uow.clock.now(),
        created_by=uow.actor.name,
        mapped_count=0,
        ignored_count=0,
        unmapped_count=0,
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(uow, "hook.create", "hook", row.public_id, after={"kind": data.kind, "team": data.team})
    return CreatedHook(hook=_out(uow, row), secret=secret.full)


def rotate_secret(uow: UnitOfWork, box: SecretBox, public_id: str) -> CreatedHook:
    row = hook_row(uow, public_id)
    _require_owner(uow, row.team_id)
    secret = generate_secret(KEY_PREFIX)
    row.ciphertext = box.seal(secret.full)
    uow.session.flush()
    record_audit(uow, "hook.rotate", "hook", row.public_id)
    return CreatedHook(hook=_out(uow, row), secret=secret.full)


def delete_hook(uow: UnitOfWork, public_id: str) -> None:
    row = hook_row(uow, public_id)
    _require_owner(uow, row.team_id)
    record_audit(uow, "hook.delete", "hook", row.public_id, before={"kind": row.kind, "name": row.name})
    uow.session.delete(row)
    uow.session.flush()


def add_mapping(uow: UnitOfWork, public_id: str, data: MappingCreate) -> Hook:
    row = hook_row(uow, public_id)
    _require_owner(uow, row.team_id)
    what = f"the delivery records of {data.service}"
    catalog.require_service_owner(uow, data.service, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])
    taken = uow.session.scalar(
        select(models.Mapping).where(models.Mapping.hook_id == row.id, models.Mapping.external == data.external)
    )
    if taken is not None:
        raise Conflict(f"{data.external!r} already maps to {taken.service_key}", rule="mapping-exists")
    uow.session.add(
        models.Mapping(
            hook_id=row.id,
            external=data.external,
            service_id=catalog.service_id(uow, data.service),
            service_key=data.service,
            created_at=uow.clock.now(),
            created_by=uow.actor.name,
        )
    )
    uow.session.flush()
    record_audit(uow, "hook.map", "hook", row.public_id, after=data.model_dump(mode="json"))
    return _out(uow, row)


def remove_mapping(uow: UnitOfWork, public_id: str, external: str) -> Hook:
    row = hook_row(uow, public_id)
    _require_owner(uow, row.team_id)
    mapping = uow.session.scalar(
        select(models.Mapping).where(models.Mapping.hook_id == row.id, models.Mapping.external == external)
    )
    if mapping is None:
        raise NotFound(f"hook {public_id} maps no {external[:300]!r}")
    record_audit(
        uow, "hook.unmap", "hook", row.public_id, before={"external": external, "service": mapping.service_key}
    )
    uow.session.delete(mapping)
    uow.session.flush()
    return _out(uow, row)


def list_hooks(uow: UnitOfWork, team: str | None = None) -> list[Hook]:
    require(uow.actor, Permission.READ)
    query = select(models.Hook).order_by(models.Hook.id)
    if team:
        query = query.where(models.Hook.team_id == teams.team_id(uow, team))
    rows = uow.session.scalars(query).all()
    return [_out(uow, row) for row in rows]


def get_hook(uow: UnitOfWork, public_id: str) -> HookDetail:
    """The hook with its counts; its recent deliveries (what the senders said) only for its owners."""
    require(uow.actor, Permission.READ)
    row = hook_row(uow, public_id)
    if not teams.may_act(uow, row.team_id, Permission.DELIVERY_WRITE, [Role.PLATFORM]):
        return HookDetail(**_out(uow, row).model_dump())
    recent = uow.session.scalars(
        select(models.Delivery)
        .where(models.Delivery.hook_id == row.id)
        .order_by(models.Delivery.received_at.desc(), models.Delivery.id.desc())
        .limit(RECENT)
    ).all()
    return HookDetail(**_out(uow, row).model_dump(), recent=[DeliveryOut.model_validate(d) for d in recent])


def delivery_count(uow: UnitOfWork, public_id: str) -> int:
    row = hook_row(uow, public_id)
    return uow.session.scalar(select(func.count()).where(models.Delivery.hook_id == row.id)) or 0


def _out(uow: UnitOfWork, row: models.Hook) -> Hook:
    mappings: Sequence[models.Mapping] = uow.session.scalars(
        select(models.Mapping).where(models.Mapping.hook_id == row.id).order_by(models.Mapping.external)
    ).all()
    return Hook(
        public_id=row.public_id,
        kind=row.kind,
        team=teams.team_key_of(uow, row.team_id),
        name=row.name,
        path=f"/hooks/{row.kind}?hook={row.public_id}",
        created_at=row.created_at,
        created_by=row.created_by,
        last_delivery_at=row.last_delivery_at,
        counts=Counts(mapped=row.mapped_count, ignored=row.ignored_count, unmapped=row.unmapped_count),
        mappings=[
            Mapping(external=m.external, service=m.service_key, created_at=m.created_at, created_by=m.created_by)
            for m in mappings
        ],
    )
