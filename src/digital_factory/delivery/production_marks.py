"""A change's first arrival in production, kept on the change (derived columns) so DORA's lead time is one
indexed range read however many changes there are.

Recomputed from the stored deployments each time a production deployment of the change finishes (or an
outside report moves it), and when a change's commit time is corrected, in the same transaction: the next
read sees it, and a late or reordered report (an earlier deployment recorded after a later one, a success
turned into a failure) cannot leave a stale mark.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select

from digital_factory.core.clock import as_utc
from digital_factory.delivery import models
from digital_factory.delivery.schemas import DeploymentStatus
from digital_factory.store.uow import UnitOfWork


def lead_seconds(first_production: datetime | None, committed: datetime) -> float | None:
    """Seconds from the commit to its first production deployment (may be <= 0: clock skew, back-dated
    commits; DORA's readers ignore those values but count them)."""
    if first_production is None:
        return None
    return (as_utc(first_production) - as_utc(committed)).total_seconds()


def mark_deployment(uow: UnitOfWork, deployment: models.Deployment) -> None:
    """Refresh the marks of the changes a production deployment carries (after it finished, either way)."""
    if not deployment.is_production:
        return
    uow.session.flush()
    change_ids = uow.session.scalars(
        select(models.DeploymentChange.change_id).where(models.DeploymentChange.deployment_id == deployment.id)
    ).all()
    refresh(uow, change_ids)


def refresh(uow: UnitOfWork, change_ids: Collection[int]) -> None:
    """Set each change's first production time (the earliest succeeded production deployment carrying it)
    and its lead time, from the stored deployments."""
    if not change_ids:
        return
    first = dict(
        uow.session.execute(
            select(models.DeploymentChange.change_id, func.min(models.Deployment.finished_at))
            .join(models.Deployment, models.Deployment.id == models.DeploymentChange.deployment_id)
            .where(
                models.DeploymentChange.change_id.in_(change_ids),
                models.Deployment.is_production.is_(True),
                models.Deployment.status == DeploymentStatus.SUCCEEDED,
                models.Deployment.finished_at.is_not(None),
            )
            .group_by(models.DeploymentChange.change_id)
        ).all()
    )
    for change in uow.session.scalars(select(models.Change).where(models.Change.id.in_(change_ids))):
        at = first.get(change.id)
        change.first_production_at = as_utc(at) if at is not None else None
        change.lead_seconds = lead_seconds(at, change.committed_at)
    uow.session.flush()
