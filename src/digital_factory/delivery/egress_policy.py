"""A service's delivery policy for egress: steps get the network only where the service's owners (or the
platform team) granted it, not because a pipeline file says `network: true`."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.delivery import models
from digital_factory.delivery.schemas import EgressPolicy, EgressPolicyUpdate
from digital_factory.store.uow import UnitOfWork


def egress_granted(uow: UnitOfWork, service_id: int) -> bool:
    return bool(
        uow.session.scalar(select(models.ServiceEgress.granted).where(models.ServiceEgress.service_id == service_id))
    )


def get_egress_policy(uow: UnitOfWork, service_key: str) -> EgressPolicy:
    require(uow.actor, Permission.READ)
    return EgressPolicy(service=service_key, egress=egress_granted(uow, catalog.service_id(uow, service_key)))


def set_egress_policy(uow: UnitOfWork, service_key: str, data: EgressPolicyUpdate) -> EgressPolicy:
    """Owners of the service (delivery:write and membership of its team) or the platform role."""
    catalog.require_service_owner(
        uow, service_key, Permission.DELIVERY_WRITE, what="the delivery (egress) policy", roles=[Role.PLATFORM]
    )
    service_id = catalog.service_id(uow, service_key)
    row = uow.session.get(models.ServiceEgress, service_id)
    before = {"egress": row.granted} if row is not None else {"egress": False}
    if row is None:
        row = models.ServiceEgress(service_id=service_id, updated_at=uow.clock.now())
        uow.session.add(row)
    row.granted = data.egress
    row.updated_at = uow.clock.now()
    uow.session.flush()
    record_audit(uow, "service.egress-policy", "service", service_key, before=before, after={"egress": data.egress})
    return EgressPolicy(service=service_key, egress=data.egress)
