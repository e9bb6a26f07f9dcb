"""Incidents: opened and resolved by people (API, CLI, web) and linked to the deployments involved.

Cause: the deployment named when the incident is opened (`explicit`), or the first deployment to that
environment of the commit named (`change`); otherwise the heuristic: the latest
deployment of the same service that succeeded in the same environment at or before detection, within
`CAUSE_WINDOW` (`heuristic`); otherwise none. Restoring deployment: named at resolution (`explicit`, and the
deployment is marked rework); or one that carried a commit naming the incident (`commit`) or rolled the
environment back while it was open (`rollback`), both rework; otherwise the first deployment that succeeded
in that environment between detection and resolution (`heuristic`, not counted as rework: it may have been
planned work).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.delivery import models
from digital_factory.delivery.deployments import incident_out
from digital_factory.delivery.events import IncidentOpened, IncidentResolved, event_of
from digital_factory.delivery.listing import newest_first
from digital_factory.delivery.lookup import by_id
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    Incident,
    IncidentCreate,
    IncidentFilter,
    IncidentResolve,
    IncidentStatus,
)
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork

CAUSE_WINDOW = timedelta(days=7)


def _require_owner(uow: UnitOfWork, service_key: str) -> None:
    """Incidents (open, resolve): the service's owning team, or the platform role (admin always)."""
    what = f"the incidents of {service_key}"
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=what, roles=[Role.PLATFORM])


def open_incident(uow: UnitOfWork, data: IncidentCreate) -> Incident:
    _require_owner(uow, data.service)
    service_id = catalog.service_id(uow, data.service)
    catalog.get_environment(uow, data.service, data.environment)
    now = uow.clock.now()
    detected = as_utc(data.detected_at) if data.detected_at else now
    if detected > now + timedelta(minutes=5):
        raise ValidationFailed.on("detected_at", "lies in the future")
    cause, link = _cause(uow, service_id, data, detected)
    row = models.Incident(
        key=next_key(uow.session, "INC"),
        service_id=service_id,
        service_key=data.service,
        environment=data.environment,
        title=data.title,
        description=data.description,
        severity=data.severity,
        status=IncidentStatus.OPEN,
        detected_at=detected,
        opened_at=now,
        opened_by=uow.actor.name,
        caused_by_deployment_id=cause.id if cause else None,
        cause_link=link,
    )
    uow.session.add(row)
    return _recorded(uow, row, "incident.open", data, event_of(IncidentOpened, row))


def _cause(
    uow: UnitOfWork, service_id: int, data: IncidentCreate, detected: datetime
) -> tuple[models.Deployment | None, str | None]:
    if data.caused_by_change is not None:
        if data.caused_by_deployment is not None:
            raise ValidationFailed.on("caused_by_change", "name the deployment or the change, not both")
        return _carrier(uow, service_id, data.environment, data.caused_by_change), "change"
    if data.caused_by_deployment is not None:
        named = by_id(uow.session, models.Deployment, data.caused_by_deployment)
        if named is None or named.service_id != service_id:
            raise ValidationFailed.on(
                "caused_by_deployment", f"{data.service} has no deployment {data.caused_by_deployment}"
            )
        if named.environment != data.environment:
            raise ValidationFailed.on(
                "caused_by_deployment", f"deployment {named.id} went to {named.environment}, not {data.environment}"
            )
        return named, "explicit"
    guess = uow.session.scalar(
        select(models.Deployment)
        .where(
            models.Deployment.service_id == service_id,
            models.Deployment.environment == data.environment,
            models.Deployment.status == DeploymentStatus.SUCCEEDED,
            models.Deployment.finished_at <= detected,
            models.Deployment.finished_at >= detected - CAUSE_WINDOW,
        )
        .order_by(models.Deployment.finished_at.desc())
        .limit(1)
    )
    return (guess, "heuristic") if guess else (None, None)


def _carrier(uow: UnitOfWork, service_id: int, environment: str, sha: str) -> models.Deployment:
    """The first succeeded deployment to `environment` that carried the commit `sha` (or a unique prefix)."""
    sha = sha.strip().lower()
    changes = uow.session.scalars(
        select(models.Change.id).where(
            models.Change.service_id == service_id, models.Change.sha.startswith(sha, autoescape=True)
        )
    ).all()
    if len(changes) != 1:
        reason = "is not a known commit of the service" if not changes else "names more than one commit"
        raise ValidationFailed.on("caused_by_change", f"{sha} {reason}")
    first = uow.session.scalar(
        select(models.Deployment)
        .join(models.DeploymentChange, models.DeploymentChange.deployment_id == models.Deployment.id)
        .where(
            models.DeploymentChange.change_id == changes[0],
            models.Deployment.environment == environment,
            models.Deployment.status == DeploymentStatus.SUCCEEDED,
        )
        .order_by(models.Deployment.finished_at, models.Deployment.id)
        .limit(1)
    )
    if first is None:
        raise ValidationFailed.on("caused_by_change", f"{sha} has not been deployed to {environment}")
    return first


def resolve_incident(uow: UnitOfWork, key: str, data: IncidentResolve) -> Incident:
    row = _row(uow, key)
    _require_owner(uow, row.service_key)
    if row.status != IncidentStatus.OPEN:
        raise Conflict(f"{row.key} is already resolved", rule="incident-resolved")
    now = uow.clock.now()
    if data.restored_by_deployment is not None:
        named = by_id(uow.session, models.Deployment, data.restored_by_deployment)
        if named is None or named.service_id != row.service_id or named.status != DeploymentStatus.SUCCEEDED:
            raise ValidationFailed.on(
                "restored_by_deployment",
                f"{data.restored_by_deployment} is not a succeeded deployment of {row.service_key}",
            )
        named.is_rework = True
        row.restored_by_deployment_id, row.restore_link = named.id, "explicit"
    elif row.restored_by_deployment_id is None:
        guess = uow.session.scalar(
            select(models.Deployment)
            .where(
                models.Deployment.service_id == row.service_id,
                models.Deployment.environment == row.environment,
                models.Deployment.status == DeploymentStatus.SUCCEEDED,
                models.Deployment.finished_at > row.detected_at,
                models.Deployment.finished_at <= now,
            )
            .order_by(models.Deployment.finished_at)
            .limit(1)
        )
        if guess is not None and guess.id != row.caused_by_deployment_id:
            row.restored_by_deployment_id, row.restore_link = guess.id, "heuristic"
    row.status = IncidentStatus.RESOLVED
    row.resolved_at = now
    row.resolved_by = uow.actor.name
    row.resolution = data.resolution
    return _recorded(uow, row, "incident.resolve", data, event_of(IncidentResolved, row))


def _recorded(
    uow: UnitOfWork,
    row: models.Incident,
    action: str,
    data: IncidentCreate | IncidentResolve,
    event: IncidentOpened | IncidentResolved,
) -> Incident:
    """Store the change, audit it with what was asked, tell the subscribers, and answer the incident."""
    uow.session.flush()
    record_audit(uow, action, "incident", row.key, after=data.model_dump(mode="json"))
    uow.emit(event)
    return incident_out(row)


def _row(uow: UnitOfWork, key: str) -> models.Incident:
    row = uow.session.scalar(select(models.Incident).where(models.Incident.key == key.strip().upper()))
    if row is None:
        raise NotFound(f"there is no incident {key!r}")
    return row


def get_incident(uow: UnitOfWork, key: str) -> Incident:
    require(uow.actor, Permission.READ)
    return incident_out(_row(uow, key))


def list_incidents(uow: UnitOfWork, filters: IncidentFilter, page: PageRequest) -> Page[Incident]:
    return newest_first(uow, models.Incident, page, incident_out, service=filters.service, status=filters.status)
