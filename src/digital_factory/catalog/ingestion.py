"""Ingestion keys: the secrets a service's telemetry is sent with. Callers own the transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import SecretDigester, generate_secret, parse_secret, record_audit, require
from digital_factory.catalog import models
from digital_factory.catalog.access import require_service_maintainer, service_row
from digital_factory.catalog.schemas import CreatedIngestionKey, IngestionGrant, IngestionKey, IngestionKeyCreate
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import NotFound, Unauthenticated
from digital_factory.store.uow import UnitOfWork

INGESTION_KEY_PREFIX = "dfik"


def create_ingestion_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, data: IngestionKeyCreate
) -> CreatedIngestionKey:
    """A new ingestion key for a service; the secret is returned once and only its digest is stored."""
    service = service_row(uow, service_key)
    require_service_maintainer(uow, service, f"the ingestion keys of {service.key}")
    secret = generate_secret(INGESTION_KEY_PREFIX)
    row = models.IngestionKey(
        public_id=secret.public_id,
        service_id=service.id,
        name=data.name,
        digest=digester.digest(secret.full),
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow, "ingestion-key.create", "service", service.key, after={"public_id": row.public_id, "name": row.name}
    )
    return CreatedIngestionKey(key=_ingestion_key_out(service.key, row), secret=secret.full)


def list_ingestion_keys(uow: UnitOfWork, service_key: str) -> list[IngestionKey]:
    require(uow.actor, Permission.READ)
    service = service_row(uow, service_key)
    rows = uow.session.scalars(
        select(models.IngestionKey).where(models.IngestionKey.service_id == service.id).order_by(models.IngestionKey.id)
    )
    return [_ingestion_key_out(service.key, r) for r in rows]


def revoke_ingestion_key(uow: UnitOfWork, service_key: str, public_id: str) -> IngestionKey:
    service = service_row(uow, service_key)
    require_service_maintainer(uow, service, f"the ingestion keys of {service.key}")
    row = uow.session.scalar(
        select(models.IngestionKey).where(
            models.IngestionKey.service_id == service.id, models.IngestionKey.public_id == public_id
        )
    )
    if row is None:
        raise NotFound(f"service {service_key!r} has no ingestion key {public_id!r}")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        record_audit(uow, "ingestion-key.revoke", "service", service.key, after={"public_id": public_id})
    return _ingestion_key_out(service.key, row)


def resolve_ingestion_key(uow: UnitOfWork, digester: SecretDigester, presented: str) -> str:
    """The key of the service an ingestion key belongs to, or Unauthenticated (for telemetry ingestion)."""
    return resolve_ingestion_grant(uow, digester, presented).service


def resolve_ingestion_grant(uow: UnitOfWork, digester: SecretDigester, presented: str) -> IngestionGrant:
    """The service an ingestion key belongs to and the key's public id, or Unauthenticated.

    Malformed keys never reach the store; revoked ones are refused."""
    parsed = parse_secret(presented, INGESTION_KEY_PREFIX)
    if parsed is None:
        raise Unauthenticated("the ingestion key is malformed")
    found = uow.session.execute(
        select(models.IngestionKey, models.Service.key)
        .join(models.Service, models.Service.id == models.IngestionKey.service_id)
        .where(models.IngestionKey.public_id == parsed.public_id)
    ).one_or_none()
    if found is None or not digester.matches(parsed.full, found[0].digest):
        raise Unauthenticated("the ingestion key is not valid")
    if found[0].revoked_at is not None:
        raise Unauthenticated("the ingestion key is revoked")
    return IngestionGrant(service=str(found[1]), public_id=parsed.public_id)


def record_ingestion_use(uow: UnitOfWork, public_id: str, accepted: int, rejected: int, at: datetime) -> None:
    """Count what a key's request brought (accepted and rejected points) and when it was last seen."""
    key = models.IngestionKey
    uow.session.execute(
        update(key)
        .where(key.public_id == public_id)
        .values(
            accepted_points=key.accepted_points + accepted,
            rejected_points=key.rejected_points + rejected,
            last_used_at=at,
        )
    )


def _ingestion_key_out(service_key: str, row: models.IngestionKey) -> IngestionKey:
    return IngestionKey(
        public_id=row.public_id,
        service=service_key,
        name=row.name,
        created_at=as_utc(row.created_at),
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        accepted_points=row.accepted_points or 0,
        rejected_points=row.rejected_points or 0,
    )
