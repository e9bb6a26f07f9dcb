"""OFREP client keys: one service environment each; only their digest is stored."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import SecretDigester, allowed, generate_secret, record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import NotFound
from digital_factory.core.schemas import copied
from digital_factory.releases import models
from digital_factory.releases.events import ClientKeyRevoked
from digital_factory.releases.ownership import require_key_manager
from digital_factory.releases.schemas import (
    ClientKey,
    CreatedClientKey,
)
from digital_factory.store.uow import UnitOfWork

CLIENT_KEY_PREFIX = "dffk"


TOUCH_INTERVAL = timedelta(minutes=5)


def create_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str, name: str = "default"
) -> CreatedClientKey:
    """A new OFREP client key for one service environment; the secret is returned once. For the service's
    owners and the platform (admin too)."""
    require_key_manager(uow, service_key, f"the client keys of {service_key}")
    return _create_client_key(uow, digester, service_key, environment, name)


def _create_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str, name: str
) -> CreatedClientKey:
    env = catalog.get_environment(uow, service_key, environment)
    service_id = catalog.service_id(uow, service_key)
    secret = generate_secret(CLIENT_KEY_PREFIX)
    row = models.ClientKey(
        public_id=secret.public_id,
        service_id=service_id,
        environment_id=env.id,
        service_key=service_key,
        environment=env.name,
        name=name,
        digest=digester.digest(secret.full),
        created_at=uow.clock.now(),
        created_by=uow.actor.name,
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow,
        "client-key.create",
        "client-key",
        row.public_id,
        after={"name": name, "service": service_key, "environment": environment},
    )
    return CreatedClientKey(key=_client_key_out(row, service_key, environment), secret=secret.full)


def ensure_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str
) -> CreatedClientKey | None:
    """For onboarding: a client key for the environment unless an active one exists (then None, since a
    secret is never shown twice). The platform may call it (`platform:write`), as may the service's owners."""
    require_key_manager(uow, service_key, f"the client keys of {service_key}")
    env = catalog.get_environment(uow, service_key, environment)
    active = uow.session.scalar(
        select(models.ClientKey.id).where(
            models.ClientKey.environment_id == env.id, models.ClientKey.revoked_at.is_(None)
        )
    )
    if active is not None:
        return None
    return _create_client_key(uow, digester, service_key, environment, "default")


def ensure_client_keys(uow: UnitOfWork, digester: SecretDigester, service_key: str) -> dict[str, CreatedClientKey]:
    """A client key for every environment of the service that has none yet, by environment name."""
    require_key_manager(uow, service_key, f"the client keys of {service_key}")
    created = {}
    for env in catalog.list_environments(uow, service_key):
        made = ensure_client_key(uow, digester, service_key, env.name)
        if made is not None:
            created[env.name] = made
    return created


def list_client_keys(uow: UnitOfWork, service_key: str, environment: str | None = None) -> list[ClientKey]:
    require(uow.actor, Permission.READ)
    environments = {e.id: e.name for e in catalog.list_environments(uow, service_key)}
    query = select(models.ClientKey).where(models.ClientKey.environment_id.in_(list(environments)))
    if environment is not None:
        query = query.where(
            models.ClientKey.environment_id == catalog.get_environment(uow, service_key, environment).id
        )
    rows = uow.session.scalars(query.order_by(models.ClientKey.id)).all()
    return [_client_key_out(r, service_key, environments[r.environment_id]) for r in rows]


def revoke_client_key(uow: UnitOfWork, public_id: str) -> ClientKey:
    if not allowed(uow.actor, Permission.PLATFORM_WRITE):
        require(uow.actor, Permission.RELEASES_WRITE)
    row = uow.session.scalar(select(models.ClientKey).where(models.ClientKey.public_id == public_id))
    if row is None:
        raise NotFound(f"no client key {public_id!r}")
    service_key, environment = row.service_key, row.environment
    require_key_manager(uow, service_key, f"the client keys of {service_key}")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        record_audit(
            uow,
            "client-key.revoke",
            "client-key",
            row.public_id,
            after={"service": service_key, "environment": environment},
        )
        uow.emit(ClientKeyRevoked(public_id=row.public_id))
    return _client_key_out(row, service_key, environment)


def touch_client_key(uow: UnitOfWork, key_id: int) -> None:
    uow.session.execute(
        update(models.ClientKey).where(models.ClientKey.id == key_id).values(last_used_at=uow.clock.now())
    )


def _client_key_out(row: models.ClientKey, service_key: str, environment: str) -> ClientKey:
    return copied(ClientKey, row, service=service_key, environment=environment)
