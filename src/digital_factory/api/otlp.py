"""OTLP/HTTP, the OpenTelemetry protocol, on its standard paths (not under /api/v1):

    POST /v1/metrics   ExportMetricsServiceRequest
    POST /v1/traces    ExportTraceServiceRequest (kept as RED figures)
    POST /v1/logs      ExportLogsServiceRequest

Protobuf or JSON, identity or gzip; authenticated by the service's ingestion key (`Authorization: Bearer
dfik_…`). Answers follow the protocol, in the request's encoding: 200 with an empty export response (a
partial success when items were refused), else a `google.rpc.Status` with 400, 401, 413, 415, 429 or 503
(the last two with Retry-After). These paths apply their own body limit (`otlp_max_bytes`), as sent and
after decompression. Decoding and writing run in the thread pool; the 200 follows the commit.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digital_factory.catalog.schemas import IngestionGrant
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Unauthenticated
from digital_factory.runtime import Runtime, runtime_of
from digital_factory.store.contention import is_passing
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.service import JSON, Signal, WireError

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

OTLP_PREFIX = "/v1/"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="otlp"'}
STORE_RETRY = 5  # seconds a client waits when the store was busy


@router.post("/v1/metrics")
async def export_metrics(request: Request) -> Response:
    return await _export(request, Signal.METRICS)


@router.post("/v1/traces")
async def export_traces(request: Request) -> Response:
    return await _export(request, Signal.TRACES)


@router.post("/v1/logs")
async def export_logs(request: Request) -> Response:
    return await _export(request, Signal.LOGS)


async def _export(request: Request, signal: Signal) -> Response:
    rt = runtime_of(request)
    media = JSON  # until the request's own encoding is known
    try:
        media = telemetry.media_type(request.headers.get("content-type"))
        gzip = telemetry.is_gzip(request.headers.get("content-encoding"))
        with rt.otlp.admitted():
            grant = await run_in_threadpool(_authenticate, rt, _credential(request))
            body = await _body(request, rt.otlp.limits.max_bytes)
            outcome = await run_in_threadpool(_receive, rt, grant, signal, media, body, gzip)
    except WireError as refusal:
        headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
        if refusal.status == 413:
            headers["Connection"] = "close"  # the rest of the body is not read
        return _status(refusal.status, media, refusal.message, headers)
    except Unauthenticated as exc:
        log.warning(
            "OTLP ingestion key refused (%s) from %s", exc.detail, request.client.host if request.client else "?"
        )
        return _status(401, media, exc.detail, CHALLENGE)
    except Exception as exc:
        if is_passing(exc):  # nothing was committed: the client retries the whole request later
            log.warning("OTLP %s export refused for now: %s", signal, exc)
            return _status(503, media, "the metric store is busy; retry shortly", {"Retry-After": str(STORE_RETRY)})
        log.exception("OTLP %s export failed", signal)
        return _status(500, media, "the telemetry receiver failed; it was logged")
    return Response(telemetry.success(signal, media, outcome.rejected, outcome.message), media_type=media)


def _status(status: int, media: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(telemetry.failure(status, media, message), status_code=status, media_type=media, headers=headers)


def _credential(request: Request) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated("send the service's ingestion key as `Authorization: Bearer <key>`")
    return credential.strip()


def _authenticate(rt: Runtime, credential: str) -> IngestionGrant:
    with rt.store.unit_of_work(system_actor("telemetry"), write=False) as uow:
        return telemetry.authenticate(uow, rt.digester, credential)


async def _body(request: Request, limit: int) -> bytes:
    """The body as sent, refused (413) as soon as it is known to exceed the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise telemetry.too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise telemetry.too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _receive(
    rt: Runtime, grant: IngestionGrant, signal: Signal, media: str, body: bytes, gzip: bool
) -> telemetry.Outcome:
    """Decode, check the key's rate, then write and commit (blocking: runs in the thread pool)."""
    if gzip:
        body = telemetry.inflate(body, rt.otlp.limits.max_bytes)
    decoded = telemetry.decode_request(signal, media, body)
    rt.otlp.throttle(grant, decoded.items)
    with rt.otlp.writing(), rt.store.unit_of_work(system_actor("telemetry")) as uow:
        return telemetry.ingest(uow, rt.otlp, grant, decoded)
