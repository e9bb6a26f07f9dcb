"""The features and epics a service serves (traceability). Callers own the transaction."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import or_, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import models
from digital_factory.catalog.access import require_service_maintainer, service_row
from digital_factory.catalog.schemas import WORK_PREFIXES, Service, WorkLink, WorkLinkCreate
from digital_factory.catalog.services import services_out
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.store.uow import UnitOfWork


def link_work(uow: UnitOfWork, service_key: str, data: WorkLinkCreate) -> list[WorkLink]:
    """Record that a service serves a feature (FEAT-n) or epic (EPIC-n). The key's format is checked
    here; whether it exists is portfolio's to say (see docs/platform.md, integration points)."""
    service = service_row(uow, service_key)
    require_service_maintainer(uow, service, f"the work {service.key} serves")
    prefix, _ = parse_key(data.key)
    if prefix not in WORK_PREFIXES:
        raise ValidationFailed.on("key", f"{data.key!r} is neither a feature (FEAT-n) nor an epic (EPIC-n) key")
    key = data.key.strip().upper()
    exists = uow.session.scalar(
        select(models.ServiceWork.id).where(
            models.ServiceWork.service_id == service.id, models.ServiceWork.work_key == key
        )
    )
    if exists is None:
        uow.session.add(
            models.ServiceWork(
                service_id=service.id, kind=WORK_PREFIXES[prefix], work_key=key, linked_at=uow.clock.now()
            )
        )
        uow.session.flush()
        record_audit(uow, "service.serves", "service", service.key, after={"key": key, "kind": WORK_PREFIXES[prefix]})
    return _work_of(uow, service.id)


def services_serving(uow: UnitOfWork, work_key: str) -> list[str]:
    """Keys of the services that serve a feature or epic (traceability)."""
    rows = uow.session.scalars(
        select(models.Service.key)
        .join(models.ServiceWork, models.ServiceWork.service_id == models.Service.id)
        .where(models.ServiceWork.work_key == work_key.strip().upper())
        .order_by(models.Service.key)
    )
    return list(rows)


def services_for_work(uow: UnitOfWork, work_keys: Collection[str], *, also: Collection[str] = ()) -> list[Service]:
    """The services serving any of `work_keys` (features and epics), and the services keyed in `also` (those
    the work reached another way: a flag releasing it, a deployment carrying it), by key. One read, however
    many keys."""
    require(uow.actor, Permission.READ)
    keys = sorted({k.strip().upper() for k in work_keys})
    serving = select(models.ServiceWork.service_id).where(models.ServiceWork.work_key.in_(keys))
    rows = uow.session.scalars(
        select(models.Service)
        .where(or_(models.Service.id.in_(serving), models.Service.key.in_(sorted(set(also)))))
        .order_by(models.Service.key)
    ).all()
    return services_out(uow, rows)


def _work_of(uow: UnitOfWork, service_id: int) -> list[WorkLink]:
    rows = uow.session.scalars(
        select(models.ServiceWork).where(models.ServiceWork.service_id == service_id).order_by(models.ServiceWork.id)
    )
    return [WorkLink(kind=r.kind, key=r.work_key) for r in rows]


def value_stream_work(uow: UnitOfWork, value_stream_key: str) -> list[str]:
    """Keys of the features and epics served by the services of a value stream (how work is placed in a
    value stream: through the services it is linked to). An unknown value stream is the request's fault."""
    require(uow.actor, Permission.READ)
    stream = uow.session.scalar(select(models.ValueStream.id).where(models.ValueStream.key == value_stream_key.strip()))
    if stream is None:
        raise ValidationFailed.on("value_stream", f"no value stream {value_stream_key!r}")
    rows = uow.session.scalars(
        select(models.ServiceWork.work_key)
        .join(models.Service, models.Service.id == models.ServiceWork.service_id)
        .where(models.Service.value_stream_id == stream)
        .distinct()
        .order_by(models.ServiceWork.work_key)
    )
    return list(rows)
