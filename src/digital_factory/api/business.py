"""/business: business data in (units sold, revenue, CSAT, NPS, custom events) and its figures out.

Senders authenticate with an API token (`dfat_…`: the user needs `telemetry:write` and membership of the
service's owning team) or with the service's ingestion key (`dfik_…`: that service's data only). The
credential's prefix tells them apart. `events:bulk` takes large uploads (JSON lines or CSV) under its own
body limit (`max_upload_bytes`), not the API's."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request

from digital_factory.accounts.schemas import Permission
from digital_factory.api.context import Reading, bearer_credential, client_ip, current_actor_here
from digital_factory.catalog import service as catalog
from digital_factory.core.actor import Actor, Origin, system_actor
from digital_factory.core.schemas import Moment
from digital_factory.runtime import runtime_of
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import (
    MAX_EVENTS_PER_REQUEST,
    BusinessSummary,
    BusinessWritten,
    FeedbackEntry,
)

router = APIRouter(prefix="/business", tags=["business"])
BULK_PATH = "/business/events:bulk"
INGESTION_ACTOR_ROLE = "ingestion"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=telemetry.IDEMPOTENCY_HEADER,
        max_length=200,
        description="Any text up to 200 characters: the same key with the same body answers the first outcome.",
    ),
]


def _sender(request: Request) -> tuple[Actor, telemetry.BusinessSender]:
    credential = bearer_credential(request.headers.get("authorization", ""))
    if credential is None or not credential.startswith(f"{catalog.INGESTION_KEY_PREFIX}_"):
        return current_actor_here(request), telemetry.BusinessSender()
    rt = runtime_of(request)
    with rt.store.unit_of_work(system_actor("auth"), write=False) as uow:
        service = catalog.resolve_ingestion_key(uow, rt.digester, credential)
    actor = Actor(
        user_id=None,
        name=f"ingestion key of {service}",
        role=INGESTION_ACTOR_ROLE,
        permissions=frozenset({str(Permission.TELEMETRY_WRITE)}),
        origin=Origin.API,
        ip=client_ip(request),
    )
    request.state.actor = actor
    return actor, telemetry.BusinessSender(ingestion_service=service)


def sending_unit(request: Request) -> Iterator[tuple[UnitOfWork, telemetry.BusinessSender]]:
    """A write unit of work for a token's user or an ingestion key, committed before the answer is sent."""
    actor, sender = _sender(request)
    with runtime_of(request).store.unit_of_work(actor) as uow:
        yield uow, sender


Sending = Annotated[tuple[UnitOfWork, telemetry.BusinessSender], Depends(sending_unit, scope="function")]


async def json_body(request: Request) -> bytes:
    return await request.body()


async def upload_body(request: Request) -> bytes:
    """The body, read up to `max_upload_bytes` (413 past it: this path is exempt from the API's limit)."""
    limit = runtime_of(request).max_upload_bytes
    too_large = HTTPException(413, f"The upload exceeds the limit of {limit} bytes: split the file.")
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _body(description: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description, "content": content}}


_EVENT = {"type": "object", "description": "A business event: kind, service and the kind's fields."}
_EVENTS_BODY = _body(
    f"One business event, or a JSON array of 1 to {MAX_EVENTS_PER_REQUEST}.",
    {"application/json": {"schema": {"oneOf": [_EVENT, {"type": "array", "items": _EVENT}]}}},
)
_UPLOAD_BODY = _body(
    "JSON lines (one event per line), CSV (header: kind,service,environment,at,id,count,amount,currency,score,"
    "feedback,metric,value and attr.<name> columns) or a JSON array; at most 100,000 events.",
    {
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": _EVENT}},
    },
)


@router.post("/events", openapi_extra=_EVENTS_BODY)
def record_events(
    unit: Sending, body: Annotated[bytes, Depends(json_body)], idempotency_key: IdempotencyKey = None
) -> BusinessWritten:
    """Record business events, all or none: any invalid event refuses the request, naming `[index].field`."""
    uow, sender = unit
    events = telemetry.events_from_json(body)
    request = telemetry.BusinessRequest(events, idempotency_key=idempotency_key, body_digest=_digest(body))
    return telemetry.record_business_events(uow, request, sender)


@router.post("/events:bulk", openapi_extra=_UPLOAD_BODY)
def upload_events(
    request: Request,
    unit: Sending,
    body: Annotated[bytes, Depends(upload_body)],
    idempotency_key: IdempotencyKey = None,
) -> BusinessWritten:
    """Upload many events (JSON lines or CSV, by Content-Type); a bad row refuses the upload, naming `row N`."""
    uow, sender = unit
    events, where = telemetry.events_from_upload(body, request.headers.get("content-type", ""))
    upload = telemetry.BusinessRequest(events, where, idempotency_key=idempotency_key, body_digest=_digest(body))
    return telemetry.record_business_events(uow, upload, sender)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@router.get("/summary")
def business_summary(
    uow: Reading,
    service: Annotated[str, Query(max_length=100)],
    days: Annotated[int, Query(ge=1, le=400)] = 30,
    environment: Annotated[str | None, Query(max_length=40)] = None,
) -> BusinessSummary:
    """Units sold, revenue per currency, CSAT and NPS of a service over the last `days` days."""
    return telemetry.business_summary(uow, service, days=days, environment=environment)


@router.get("/feedback")
def list_feedback(
    uow: Reading,
    service: Annotated[str, Query(max_length=100)],
    since: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[FeedbackEntry]:
    """A service's latest feedback texts, newest first, with their score and attributes."""
    return telemetry.list_feedback(uow, service, since=since, limit=limit)
