"""OFREP, the OpenFeature Remote Evaluation Protocol, on its standard paths (not under /api/v1):

    POST /ofrep/v1/evaluate/flags/{key}   one flag for a context (server-side SDKs, dynamic context)
    POST /ofrep/v1/evaluate/flags         every flag for a context, with ETag / 304 (web and mobile SDKs)

Authenticated by a per-environment client key (`Authorization: Bearer dffk_…`, or `X-API-Key`). Errors use
OFREP's own body `{"key", "errorCode", "errorDetails"}`, never problem JSON. The hot path stays on the event
loop; only store work (a key not seen for a second, a stale snapshot) goes to the thread pool.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digital_factory.core.errors import Unauthenticated
from digital_factory.releases.service import FlagServer, Grant, Snapshot
from digital_factory.runtime import runtime_of

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

SINGLE_PATH = "/ofrep/v1/evaluate/flags/{key}"
BULK_PATH = "/ofrep/v1/evaluate/flags"
JSON = "application/json"
# Browser SDKs call the bulk endpoint from other origins. Credentials travel in a header, never in
# cookies, so any origin may ask.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Retry-After",
}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, If-None-Match, X-API-Key",
    "Access-Control-Max-Age": "86400",
}


class _Refusal(Exception):
    def __init__(self, status: int, code: str, details: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(details)
        self.status, self.code, self.details, self.headers = status, code, details, headers or {}


def _failure(refusal: _Refusal, key: str | None) -> Response:
    body: dict[str, Any] = {"errorCode": refusal.code, "errorDetails": refusal.details}
    if key is not None:
        body = {"key": key, **body}
    return Response(json.dumps(body), status_code=refusal.status, media_type=JSON, headers={**CORS, **refusal.headers})


def _credential(request: Request) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return credential.strip()
    return request.headers.get("x-api-key", "").strip()


async def _admit(request: Request, server: FlagServer) -> Grant:
    """The client key's grant, within its rate; refusals as OFREP answers (401, 429)."""
    credential = _credential(request)
    if not credential:
        raise _Refusal(
            401,
            "GENERAL",
            "send a flag client key as `Authorization: Bearer <key>`",
            {"WWW-Authenticate": 'Bearer realm="ofrep"'},
        )
    try:
        grant = server.grant_from_cache(credential)
        if grant is None:
            grant = await run_in_threadpool(server.lookup, credential)
    except Unauthenticated as exc:
        # the key itself is never logged (and the log filter would mask it): only why and from where
        log.warning("OFREP client key refused (%s) from %s", exc.detail, request.client.host if request.client else "?")
        raise _Refusal(401, "GENERAL", exc.detail, {"WWW-Authenticate": 'Bearer realm="ofrep"'}) from None
    retry_after = server.limiter.take(grant.key_id)
    if retry_after:
        raise _Refusal(
            429, "GENERAL", f"too many requests for this client key; retry in {retry_after} s",
            {"Retry-After": str(retry_after)},
        )  # fmt: skip
    return grant


async def _context(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _Refusal(400, "PARSE_ERROR", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _Refusal(400, "PARSE_ERROR", 'the body must be a JSON object such as {"context": {...}}')
    context = body.get("context")
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise _Refusal(400, "INVALID_CONTEXT", "context must be a JSON object")
    targeting_key = context.get("targetingKey")
    if targeting_key is not None and not isinstance(targeting_key, str):
        raise _Refusal(400, "INVALID_CONTEXT", "context.targetingKey must be a string")
    return context


async def _snapshot(server: FlagServer, environment_id: int) -> Snapshot:
    snapshot = server.fresh_snapshot(environment_id)
    if snapshot is None:
        snapshot = await run_in_threadpool(server.refresh, environment_id)
    return snapshot


def _unexpected(key: str | None) -> Response:
    log.exception("OFREP evaluation failed")
    body: dict[str, Any] = {"errorDetails": "the flag service failed; it was logged"}
    return Response(json.dumps(body), status_code=500, media_type=JSON, headers=CORS)


@dataclass(frozen=True)
class _Call:
    """An admitted request: the flag server, the key's grant, the context and the environment's snapshot."""

    server: FlagServer
    grant: Grant
    context: dict[str, Any]
    snapshot: Snapshot


async def _admitted(request: Request, key: str | None) -> _Call | Response:
    """The admitted call, or the OFREP answer refusing it."""
    server = runtime_of(request).flags
    try:
        grant = await _admit(request, server)
        context = await _context(request)
        return _Call(server, grant, context, await _snapshot(server, grant.environment_id))
    except _Refusal as refusal:
        return _failure(refusal, key)
    except Exception:
        return _unexpected(key)


@router.post(SINGLE_PATH)
async def evaluate_flag(request: Request, key: str) -> Response:
    """One flag for one context."""
    call = await _admitted(request, key)
    if isinstance(call, Response):
        return call
    flag = call.snapshot.flags.get(key)
    if flag is None:
        return _failure(_Refusal(404, "FLAG_NOT_FOUND", f"no flag {key!r} in this environment"), key)
    outcome = flag.evaluate(call.context)
    if outcome.error_code is not None:
        return Response(call.snapshot.render(flag, outcome), status_code=400, media_type=JSON, headers=CORS)
    assert outcome.variant is not None
    call.server.count(flag.id, call.grant.environment_id, outcome.variant)
    return Response(call.snapshot.render(flag, outcome), media_type=JSON, headers=CORS)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates or "*" in candidates


@router.post(BULK_PATH)
async def evaluate_flags(request: Request) -> Response:
    """Every flag of the environment for one context; 304 when the client's ETag is still current."""
    call = await _admitted(request, None)
    if isinstance(call, Response):
        return call
    etag = call.snapshot.etag(call.context)
    headers = {**CORS, "ETag": etag, "Cache-Control": "no-cache"}
    if _etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    parts = []
    for flag in call.snapshot.flags.values():
        outcome = flag.evaluate(call.context)
        if outcome.variant is not None:
            call.server.count(flag.id, call.grant.environment_id, outcome.variant)
        parts.append(call.snapshot.render(flag, outcome))
    return Response(b'{"flags":[' + b",".join(parts) + b"]}", media_type=JSON, headers=headers)


@router.options(SINGLE_PATH)
@router.options(BULK_PATH)
async def preflight() -> Response:
    """CORS preflight for browser SDKs."""
    return Response(status_code=204, headers=PREFLIGHT)
