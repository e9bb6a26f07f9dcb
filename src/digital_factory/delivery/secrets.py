"""Per-service secrets: write-only through every edge, encrypted at rest, given to the steps that name them.

The key is derived from the server's secret key (HKDF-SHA256), so a store copied without that key yields
no secret. A secret scoped to an environment reaches only the deploy stage of that environment, i.e. only
after its approval gate opened.
"""

from __future__ import annotations

import base64
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.delivery import models
from digital_factory.delivery.pipeline_file import SECRET_PATTERN
from digital_factory.delivery.schemas import SecretInfo, SecretWrite
from digital_factory.store.uow import UnitOfWork

_NAME = re.compile(SECRET_PATTERN)


class SecretBox:
    """Encrypts and decrypts secret values with a key derived from the server's secret key."""

    def __init__(self, server_key: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"digital-factory delivery secrets"
        ).derive(server_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise ValueError("a secret cannot be decrypted: the server's secret key changed") from exc


def set_secret(uow: UnitOfWork, box: SecretBox, service_key: str, name: str, data: SecretWrite) -> SecretInfo:
    _require_owner(uow, service_key)
    if not _NAME.match(name):
        raise ValidationFailed.on("name", f"{name!r} is not a secret name like DEPLOY_TOKEN")
    service_id = catalog.service_id(uow, service_key)
    environment = data.environment or ""
    if environment:
        catalog.get_environment(uow, service_key, environment)
    row = uow.session.scalar(
        select(models.Secret).where(
            models.Secret.service_id == service_id,
            models.Secret.name == name,
            models.Secret.environment == environment,
        )
    )
    now = uow.clock.now()
    action = "secret.update" if row else "secret.create"
    if row is None:
        row = models.Secret(
            service_id=service_id, name=name, environment=environment, ciphertext=b"", created_at=now, updated_at=now
        )
        uow.session.add(row)
    row.ciphertext = box.seal(data.value)
    row.updated_at = now
    row.updated_by = uow.actor.name
    uow.session.flush()
    record_audit(uow, action, "secret", f"{service_key}/{name}", after={"environment": environment or None})
    return _info(row)


def delete_secret(uow: UnitOfWork, service_key: str, name: str, environment: str | None = None) -> None:
    _require_owner(uow, service_key)
    service_id = catalog.service_id(uow, service_key)
    result = uow.session.execute(
        delete(models.Secret).where(
            models.Secret.service_id == service_id,
            models.Secret.name == name,
            models.Secret.environment == (environment or ""),
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"service {service_key!r} has no secret {name!r}")
    record_audit(uow, "secret.delete", "secret", f"{service_key}/{name}", before={"environment": environment})


def _require_owner(uow: UnitOfWork, service_key: str) -> None:
    """Secrets are the owning team's alone: no role besides admin may write or delete them."""
    catalog.require_service_owner(uow, service_key, Permission.DELIVERY_WRITE, what=f"the secrets of {service_key}")


def list_secrets(uow: UnitOfWork, service_key: str) -> list[SecretInfo]:
    require(uow.actor, Permission.READ)
    service_id = catalog.service_id(uow, service_key)
    rows = uow.session.scalars(
        select(models.Secret).where(models.Secret.service_id == service_id).order_by(models.Secret.name)
    )
    return [_info(row) for row in rows]


def _info(row: models.Secret) -> SecretInfo:
    return SecretInfo(
        name=row.name, environment=row.environment or None, updated_at=row.updated_at, updated_by=row.updated_by
    )


def values_for_step(
    uow: UnitOfWork, box: SecretBox, service_id: int, names: list[str], environment: str | None
) -> tuple[dict[str, str], list[str]]:
    """The named secrets for a step (environment-scoped ones win in their environment), and the missing names."""
    if not names:
        return {}, []
    scopes = ["", environment] if environment else [""]
    rows = uow.session.scalars(
        select(models.Secret).where(
            models.Secret.service_id == service_id,
            models.Secret.name.in_(names),
            models.Secret.environment.in_(scopes),
        )
    ).all()
    found: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: r.environment != ""):
        found[row.name] = box.open(row.ciphertext)
    return found, [name for name in names if name not in found]


def all_values(uow: UnitOfWork, box: SecretBox, service_id: int) -> list[str]:
    """Every secret value of a service, for masking (a step may print one it was not given, e.g. from a file)."""
    rows = uow.session.scalars(select(models.Secret.ciphertext).where(models.Secret.service_id == service_id))
    return [box.open(sealed) for sealed in rows]
