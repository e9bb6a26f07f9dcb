"""DORA's raw facts in bulk, for insights: production deployments, the failures linked to them, changes' lead
times and incidents with no cause, of a set of services (or of the deployments carrying an epic's work items)
in a period. Read on demand from the stored rows (indexed; a change's first production time is kept on it
by `production_marks`), so the next read after a new deployment or incident shows it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.delivery import models
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    DoraDeployment,
    DoraFacts,
    DoraFailure,
    DoraLead,
    DoraUnlinked,
)
from digital_factory.store.base import utc_read
from digital_factory.store.uow import UnitOfWork

_ENDED = (DeploymentStatus.SUCCEEDED, DeploymentStatus.FAILED)
# a restoring deployment linked on purpose (named, a commit naming the incident, a rollback) marks recovery;
# a heuristic one (the next deployment after detection) may be unrelated planned work: resolution time counts
_DELIBERATE_RESTORE = ("explicit", "commit", "rollback")
# a rollback counts as the intervention a deployment needed when it follows within this (as CAUSE_WINDOW)
ROLLBACK_WINDOW = timedelta(days=7)


def dora_facts(
    uow: UnitOfWork,
    *,
    service_keys: Collection[str] | None,
    start: datetime,
    end: datetime,
    work_items: Collection[str] | None = None,
    buckets: Sequence[datetime] = (),
) -> DoraFacts:
    """The facts of `service_keys` (None: every service) in [start, end); with `work_items`, only deployments
    carrying a change that names one of them, and only those changes' lead times. `buckets`: the later
    trend bucket starts (after `start`); each deployment and lead time carries the index of its bucket."""
    require(uow.actor, Permission.READ)
    ids = None if service_keys is None else [catalog.service_id(uow, key) for key in service_keys]
    if ids == [] or work_items == []:
        return DoraFacts()
    scope = _Scope(ids, sorted({k.upper() for k in work_items}) if work_items is not None else None, buckets)
    deployments = _deployments(uow, scope, start, end)
    leads = _leads(uow, scope, start, end)
    failures = _incident_failures(uow, scope, start, end) + _rollback_failures(uow, scope, start, end)
    service_ids = set(ids) if ids is not None else None
    if scope.items is not None:  # an epic: the services its work went to
        service_ids = {d.service_id for d in deployments} | {f.service_id for f in failures}
    unlinked = _unlinked(uow, service_ids, start, end)
    known = {d.service_id for d in deployments} | {f.service_id for f in failures} | {u.service_id for u in unlinked}
    known |= {lead.service_id for lead in leads}
    names = {i: ref.key for i, ref in catalog.service_refs_by_id(uow, known).items()}
    return DoraFacts(deployments=deployments, failures=failures, leads=leads, unlinked=unlinked, services=names)


_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


class _Scope:
    def __init__(self, ids: list[int] | None, items: list[str] | None, buckets: Sequence[datetime]) -> None:
        self.ids = ids
        self.items = items
        self.buckets = list(buckets)

    def bucket(self, at: Any) -> Any:
        """The bucket index of the time `at`, worked out by the store (no time values to fetch and parse)."""
        return _search(at, self.buckets, 0)

    def deployments(self, query: _Q, deployment: Any) -> _Q:
        if self.ids is not None:
            query = query.where(deployment.service_id.in_(self.ids))
        if self.items is not None:
            carrying = (
                select(models.DeploymentChange.deployment_id)
                .join(models.ChangeItem, models.ChangeItem.change_id == models.DeploymentChange.change_id)
                .where(models.ChangeItem.item_key.in_(self.items))
            )
            query = query.where(deployment.id.in_(carrying))
        return query


def _search(at: Any, edges: list[datetime], offset: int) -> Any:
    """Index of the first edge after `at` (`offset` + len(edges) when none is), as nested CASEs halving the
    edges: a row is compared with log2 of them, not with each in turn (10^5 rows a read)."""
    if not edges:
        return literal(offset)
    middle = len(edges) // 2
    if len(edges) == 1:
        return case((at < edges[0], offset), else_=offset + 1)
    return case(
        (at < edges[middle], _search(at, edges[:middle], offset)), else_=_search(at, edges[middle:], offset + middle)
    )


def _deployments(uow: UnitOfWork, scope: _Scope, start: datetime, end: datetime) -> list[DoraDeployment]:
    d = models.Deployment
    succeeded = d.status == DeploymentStatus.SUCCEEDED
    finished = utc_read(d.finished_at)
    query = select(d.id, d.service_id, finished, succeeded, d.is_rollback, d.is_rework, scope.bucket(d.finished_at))
    query = query.where(d.is_production.is_(True), d.finished_at >= start, d.finished_at < end, d.status.in_(_ENDED))
    # in time order (the index's): the figures' sorts by time then find one run; plain rows, no ORM layer
    rows = uow.session.connection().execute(scope.deployments(query, d).order_by(d.finished_at)).all()
    return list(map(DoraDeployment._make, rows))


def _leads(uow: UnitOfWork, scope: _Scope, start: datetime, end: datetime) -> list[DoraLead]:
    """Lead times per service and bucket, each group's values joined into one text by the store: 10^5
    values arrive as a few hundred rows (a value keeps 15 significant digits: microseconds of a year)."""
    c = models.Change
    values = func.aggregate_strings(cast(c.lead_seconds, String), ",")
    query = (
        select(c.service_id, scope.bucket(c.first_production_at).label("bucket"), values)
        .where(c.first_production_at >= start, c.first_production_at < end)
        .group_by(c.service_id, "bucket")
    )
    if scope.ids is not None:
        query = query.where(c.service_id.in_(scope.ids))
    if scope.items is not None:
        query = query.where(
            c.id.in_(select(models.ChangeItem.change_id).where(models.ChangeItem.item_key.in_(scope.items)))
        )
    rows = uow.session.connection().execute(query).all()
    # each group sorted once here: the figures' sorts of whole services and buckets then merge sorted runs
    return [DoraLead(service, bucket, sorted(map(float, text.split(",")))) for service, bucket, text in rows]


def _incident_failures(uow: UnitOfWork, scope: _Scope, start: datetime, end: datetime) -> list[DoraFailure]:
    """Incidents caused by production deployments that ended in the period, or detected in it."""
    d, i, r = models.Deployment, models.Incident, aliased(models.Deployment)
    query = (
        select(
            d.id,
            d.service_id,
            d.finished_at,
            d.status == DeploymentStatus.SUCCEEDED,
            i.detected_at,
            i.resolved_at,
            i.restore_link,
            r.finished_at,
        )
        .join(i, i.caused_by_deployment_id == d.id)
        .outerjoin(r, r.id == i.restored_by_deployment_id)
        .where(d.is_production.is_(True), d.status.in_(_ENDED), d.finished_at.is_not(None))
        .where(
            or_(and_(d.finished_at >= start, d.finished_at < end), and_(i.detected_at >= start, i.detected_at < end))
        )
    )
    failures = []
    for dep, service, at, ok, detected, resolved, link, restored in uow.session.execute(scope.deployments(query, d)):
        recovered = restored if link in _DELIBERATE_RESTORE and restored is not None else resolved
        failures.append(DoraFailure._make((dep, service, at, ok, "incident", detected, recovered)))
    return failures


def _rollback_failures(uow: UnitOfWork, scope: _Scope, start: datetime, end: datetime) -> list[DoraFailure]:
    """Production deployments rolled back within `ROLLBACK_WINDOW` of their finish (a rollback weeks later
    is a decision, not an intervention): detected when the rollback was asked for, recovered when it
    finished. The rollbacks are found by their own finish time (an index range), then their targets."""
    d, r = models.Deployment, aliased(models.Deployment)
    query = (
        select(d.id, d.service_id, d.finished_at, d.status == DeploymentStatus.SUCCEEDED, r.requested_at, r.finished_at)
        .join(d, r.rollback_of_id == d.id)
        .where(r.is_production.is_(True), r.finished_at >= start, r.finished_at < end + ROLLBACK_WINDOW)
        .where(r.is_rollback.is_(True), r.status == DeploymentStatus.SUCCEEDED, d.id != r.id)
        .where(d.is_production.is_(True), d.status.in_(_ENDED), d.finished_at.is_not(None))
        .where(
            or_(and_(d.finished_at >= start, d.finished_at < end), and_(r.requested_at >= start, r.requested_at < end))
        )
    )
    rows = uow.session.execute(scope.deployments(query.select_from(r), d))
    return [
        DoraFailure._make((dep, service, at, ok, "rollback", asked, done))
        for dep, service, at, ok, asked, done in rows
        if done is not None and at is not None and done - at <= ROLLBACK_WINDOW
    ]


def _unlinked(uow: UnitOfWork, service_ids: set[int] | None, start: datetime, end: datetime) -> list[DoraUnlinked]:
    if service_ids is not None and not service_ids:
        return []
    i, d = models.Incident, models.Deployment
    production = exists().where(d.service_id == i.service_id, d.environment == i.environment, d.is_production.is_(True))
    query = select(i.service_id, i.detected_at).where(
        i.caused_by_deployment_id.is_(None), i.detected_at >= start, i.detected_at < end, production
    )
    if service_ids is not None:
        query = query.where(i.service_id.in_(service_ids))
    return [DoraUnlinked(*row) for row in uow.session.execute(query)]
