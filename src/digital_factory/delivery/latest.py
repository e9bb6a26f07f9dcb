"""Where a set of services stands: each one's latest run, latest deployment per environment and its recent
incidents, in a fixed number of reads however many services (insights' loop of an epic or feature)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.delivery import models
from digital_factory.delivery.schemas import Deployment, Incident, LatestDelivery, RunSummary
from digital_factory.store.uow import UnitOfWork


def latest_delivery(uow: UnitOfWork, service_ids: Collection[int]) -> dict[str, LatestDelivery]:
    """Per service key (services without any run or deployment are absent)."""
    require(uow.actor, Permission.READ)
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    run, deployment = models.PipelineRun, models.Deployment
    newest_runs = select(func.max(run.id)).where(run.service_id.in_(ids)).group_by(run.service_id)
    newest_deployments = (
        select(func.max(deployment.id))
        .where(deployment.service_id.in_(ids))
        .group_by(deployment.service_id, deployment.environment)
    )
    found: dict[str, LatestDelivery] = {}
    for r in uow.session.scalars(select(run).where(run.id.in_(newest_runs))):
        found[r.service_key] = LatestDelivery(service=r.service_key, run=RunSummary.model_validate(r))
    for d in uow.session.scalars(select(deployment).where(deployment.id.in_(newest_deployments))):
        entry = found.setdefault(d.service_key, LatestDelivery(service=d.service_key, run=None))
        entry.deployments[d.environment] = Deployment.model_validate(d)
    return found


def recent_incidents(uow: UnitOfWork, service_ids: Collection[int], *, limit: int = 20) -> list[Incident]:
    """The services' newest incidents, open or resolved, newest first."""
    require(uow.actor, Permission.READ)
    ids = sorted(set(service_ids))
    if not ids:
        return []
    rows = uow.session.scalars(
        select(models.Incident)
        .where(models.Incident.service_id.in_(ids))
        .order_by(models.Incident.detected_at.desc(), models.Incident.id.desc())
        .limit(limit)
    )
    return [Incident.model_validate(r) for r in rows]
