"""Where a set of services stands: each one's latest run, latest deployment per environment and its recent
incidents, in a fixed number of reads however many services (insights' loop of an epic or feature); and
each one's recent run outcomes and the environments it was deployed to (platform scorecards)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.delivery import models
from digital_factory.delivery.schemas import (
    Deployment,
    DeploymentStatus,
    Incident,
    LatestDelivery,
    RunSummary,
    Status,
)
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


def recent_run_statuses(uow: UnitOfWork, service_ids: Collection[int], *, per_service: int) -> dict[str, list[Status]]:
    """Per service key, the statuses of its newest `per_service` runs, newest first (services without a run
    are absent): one query, however many services."""
    require(uow.actor, Permission.READ)
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    run = models.PipelineRun
    rank = func.row_number().over(partition_by=run.service_id, order_by=run.id.desc()).label("rank")
    ranked = select(run.service_key, run.status, rank).where(run.service_id.in_(ids)).subquery()
    rows = uow.session.execute(
        select(ranked.c.service_key, ranked.c.status)
        .where(ranked.c.rank <= per_service)
        .order_by(ranked.c.service_key, ranked.c.rank)
    )
    found: dict[str, list[Status]] = {}
    for key, status in rows:
        found.setdefault(key, []).append(Status(status))
    return found


def deployed_environments(uow: UnitOfWork, service_ids: Collection[int]) -> dict[str, set[str]]:
    """Per service key, the environments it has a succeeded deployment in (services without one are absent):
    one query, however many services."""
    require(uow.actor, Permission.READ)
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    deployment = models.Deployment
    rows = uow.session.execute(
        select(deployment.service_key, deployment.environment)
        .where(deployment.service_id.in_(ids), deployment.status == DeploymentStatus.SUCCEEDED)
        .distinct()
    )
    found: dict[str, set[str]] = {}
    for key, environment in rows:
        found.setdefault(key, set()).add(environment)
    return found
