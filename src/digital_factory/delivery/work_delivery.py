"""How work reached production: for the changes whose messages name given work items, the first
successful production deployment that carried each (insights' value lead time and value stream map)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.clock import as_utc
from digital_factory.delivery import models
from digital_factory.delivery.schemas import DeploymentStatus, ItemDelivery
from digital_factory.store.uow import UnitOfWork


def item_deliveries(uow: UnitOfWork, item_keys: Collection[str]) -> list[ItemDelivery]:
    """One entry per (item, change) that reached production, ordered by item and finish time. One
    statement: changes by item key, joined to their succeeded production deployments."""
    require(uow.actor, Permission.READ)
    wanted = sorted({k.strip().upper() for k in item_keys})
    if not wanted:
        return []
    deployment, change, item = models.Deployment, models.Change, models.ChangeItem
    rows = uow.session.execute(
        select(
            item.item_key,
            change.sha,
            deployment.service_key,
            change.authored_at,
            deployment.requested_at,
            deployment.approved_at,
            deployment.started_at,
            deployment.finished_at,
        )
        .join(change, change.id == item.change_id)
        .join(models.DeploymentChange, models.DeploymentChange.change_id == change.id)
        .join(deployment, deployment.id == models.DeploymentChange.deployment_id)
        .where(
            item.item_key.in_(wanted),
            deployment.is_production.is_(True),
            deployment.status == str(DeploymentStatus.SUCCEEDED),
            deployment.finished_at.is_not(None),
        )
        .order_by(item.item_key, change.id, deployment.finished_at, deployment.id)
    ).all()
    firsts: dict[tuple[str, str], ItemDelivery] = {}
    for r in rows:
        if (r.item_key, r.sha) in firsts:
            continue  # a change counts once, at its first production deployment
        firsts[(r.item_key, r.sha)] = ItemDelivery(
            item=r.item_key,
            change_sha=r.sha,
            service=r.service_key,
            authored_at=as_utc(r.authored_at),
            requested_at=as_utc(r.requested_at),
            approved_at=as_utc(r.approved_at) if r.approved_at else None,
            started_at=as_utc(r.started_at) if r.started_at else None,
            finished_at=as_utc(r.finished_at),
        )
    return sorted(firsts.values(), key=lambda d: (d.item, d.finished_at))
