"""Receiving a webhook delivery, in the caller's unit of work (committed before the sender is answered).

1. The hook by its public id and kind (404 otherwise).
2. Authenticity on the raw bytes, in constant time (401, nothing stored): GitHub `X-Hub-Signature-256:
   sha256=<HMAC-SHA256(secret, body)>`; GitLab `X-Gitlab-Token: <secret>`; CDEvents either the GitHub-style
   HMAC header or `Authorization: Bearer <secret>`.
3. Parsed by the sender's module (400 for a known event whose body is wrong, nothing stored).
4. The delivery stored once per (hook, delivery id): a repeat answers `duplicate` and does nothing again.
5. Mapped: the first name the delivery carries that the hook maps gives the service; its records are
   written through delivery's use-cases. No mapping: stored as `unmapped`, no record.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from digital_factory.core.errors import NotFound, Unauthenticated
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import OutsideChange, OutsideDeployment, OutsideIncident, OutsideRun
from digital_factory.delivery.service import SecretBox
from digital_factory.integrations import cdevents, github, gitlab, models
from digital_factory.integrations.events import DeliveryReceived
from digital_factory.integrations.hooks import hook_row
from digital_factory.integrations.payload import Inbound, Record, clip
from digital_factory.integrations.schemas import HookKind, Outcome, Receipt
from digital_factory.store.uow import UnitOfWork

MAX_STORED_PAYLOAD = 64 * 1024
_PARSERS = {HookKind.GITHUB: github.parse, HookKind.GITLAB: gitlab.parse, HookKind.CDEVENTS: cdevents.parse}


def receive(
    uow: UnitOfWork, box: SecretBox, kind: str, public_id: str, *, headers: dict[str, str], body: bytes
) -> Receipt:
    """Headers keyed in lower case. Raises NotFound (no such hook), Unauthenticated, Malformed."""
    hook = hook_row(uow, public_id)
    if hook.kind != kind:
        raise NotFound(f"there is no {kind[:20]} hook {public_id[:40]!r}")
    try:
        secret = box.open(hook.ciphertext)
    except ValueError:  # the server's secret key changed since the hook was made
        raise Unauthenticated(f"hook {hook.public_id} needs a new secret: rotate it and update the sender") from None
    _authenticate(HookKind(hook.kind), secret, headers, body)
    inbound = _PARSERS[HookKind(hook.kind)](headers, body)
    stored = _store(uow, hook, inbound, body)
    if stored is None:
        return Receipt(outcome=None, duplicate=True, summary=f"delivery {inbound.delivery_id} was received before")
    records = _apply(uow, hook, inbound, stored)
    outcome = Outcome(stored.outcome)
    counter = {Outcome.MAPPED: "mapped_count", Outcome.IGNORED: "ignored_count"}.get(outcome, "unmapped_count")
    uow.session.execute(  # one UPDATE … SET n = n + 1: concurrent deliveries never lose a count
        update(models.Hook)
        .where(models.Hook.id == hook.id)
        .values({counter: getattr(models.Hook, counter) + 1, "last_delivery_at": uow.clock.now()})
    )
    uow.emit(DeliveryReceived(hook_public_id=hook.public_id, event=stored.event, outcome=stored.outcome))
    return Receipt(outcome=outcome, summary=stored.summary, records=records)


def _authenticate(kind: HookKind, secret: str, headers: dict[str, str], body: bytes) -> None:
    signature = headers.get("x-hub-signature-256", "")
    if kind == HookKind.GITLAB:
        given = headers.get("x-gitlab-token", "")
        if given and hmac.compare_digest(given.encode(), secret.encode()):
            return
        raise Unauthenticated("send the hook's secret as X-Gitlab-Token")
    if signature or kind == HookKind.GITHUB:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if signature and hmac.compare_digest(signature.strip().encode(), expected.encode()):
            return
        raise Unauthenticated("X-Hub-Signature-256 must be sha256=<HMAC-SHA256 of the body with the hook's secret>")
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), secret.encode()):
        return
    raise Unauthenticated("send the hook's secret as `Authorization: Bearer <secret>` or sign with X-Hub-Signature-256")


def _store(uow: UnitOfWork, hook: models.Hook, inbound: Inbound, body: bytes) -> models.Delivery | None:
    """The delivery row, or None when this delivery id was stored before (also under a concurrent race)."""
    seen = uow.session.scalar(
        select(models.Delivery.id).where(
            models.Delivery.hook_id == hook.id, models.Delivery.delivery_id == inbound.delivery_id
        )
    )
    if seen is not None:
        return None
    row = models.Delivery(
        hook_id=hook.id,
        delivery_id=inbound.delivery_id,
        event=clip(inbound.event, 120),
        received_at=uow.clock.now(),
        outcome=Outcome.IGNORED,
        summary="",
        payload=body[:MAX_STORED_PAYLOAD].decode("utf-8", "replace").replace("\x00", ""),
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        return None
    return row


def _apply(uow: UnitOfWork, hook: models.Hook, inbound: Inbound, stored: models.Delivery) -> list[str]:
    if inbound.ignored is not None:
        stored.outcome, stored.summary = Outcome.IGNORED, clip(inbound.ignored, 300)
        return []
    service = _service_for(uow, hook, inbound.subjects)
    if service is None:
        names = ", ".join(inbound.subjects[:3])
        stored.outcome = Outcome.UNMAPPED
        stored.summary = clip(f"no mapping for {names}", 300)
        return []
    made = [_record(uow, service, record) for record in inbound.records]
    stored.outcome = Outcome.MAPPED
    stored.summary = clip(f"{service}: {inbound.summary}", 300)
    return made


def _service_for(uow: UnitOfWork, hook: models.Hook, subjects: list[str]) -> str | None:
    if not subjects:
        return None
    rows = uow.session.scalars(
        select(models.Mapping).where(models.Mapping.hook_id == hook.id, models.Mapping.external.in_(subjects))
    ).all()
    by_name = {row.external: row.service_key for row in rows}
    return next((by_name[s] for s in subjects if s in by_name), None)


def _record(uow: UnitOfWork, service: str, record: Record) -> str:
    if isinstance(record, OutsideChange):
        result = delivery.record_change(uow, service, record)
    elif isinstance(record, OutsideRun):
        result = delivery.record_run(uow, service, record)
    elif isinstance(record, OutsideDeployment):
        result = delivery.record_deployment(uow, service, record)
    else:
        assert isinstance(record, OutsideIncident)
        result = delivery.record_incident(uow, service, record)
    return f"{result.kind} {result.ref}" + ("" if result.changed else " (unchanged)")
