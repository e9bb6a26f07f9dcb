"""OFREP, the OpenFeature Remote Evaluation Protocol, on its standard paths (not under /api/v1):

    POST /ofrep/v1/evaluate/flags/{key}   one flag for a context (server-side SDKs, dynamic context)
    POST /ofrep/v1/evaluate/flags         every flag for a context, with ETag / 304 (web and mobile SDKs)

Authenticated by a per-environment client key (`Authorization: Bearer dffk_…`, or `X-API-Key`). Errors use
OFREP's own body `{"key", "errorCode", "errorDetails"}`, never problem JSON.

A raw ASGI handler, not a FastAPI route: the app serves it through `FastLaneMiddleware` ahead of the
framework's routing and the other middleware, which cost more than the evaluation itself. The hot path stays
on the event loop; only store work (a key not checked for a second, a stale snapshot) goes to the thread pool.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from digital_factory.core.errors import Unauthenticated
from digital_factory.releases.service import FlagServer, Grant, Snapshot

log = logging.getLogger(__name__)

BULK_PATH = "/ofrep/v1/evaluate/flags"
SINGLE_PREFIX = BULK_PATH + "/"
JSON = (b"content-type", b"application/json")
# Browser SDKs call the bulk endpoint from other origins. Credentials travel in a header, never in
# cookies, so any origin may ask.
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Retry-After"),
]
ANSWER_HEADERS = [JSON, *CORS]
PREFLIGHT = [
    *CORS,
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"Authorization, Content-Type, If-None-Match, X-API-Key"),
    (b"access-control-max-age", b"86400"),
]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ofrep"'}

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class _Refusal(Exception):
    def __init__(self, status: int, code: str, details: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(details)
        self.status, self.code, self.details, self.headers = status, code, details, headers or {}


def _failure(refusal: _Refusal, key: str | None) -> Answer:
    body: dict[str, Any] = {"errorCode": refusal.code, "errorDetails": refusal.details}
    if key is not None:
        body = {"key": key, **body}
    extra = [(name.lower().encode(), value.encode()) for name, value in refusal.headers.items()]
    return refusal.status, [*ANSWER_HEADERS, *extra], json.dumps(body).encode()


@dataclass(frozen=True)
class _Headers:
    """The request headers OFREP reads, picked in one pass."""

    credential: str
    if_none_match: str | None

    @classmethod
    def of(cls, scope: Scope) -> _Headers:
        authorization = api_key = b""
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"x-api-key":
                api_key = value
            elif name == b"if-none-match":
                if_none_match = value
        scheme, _, credential = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            credential = api_key.decode("latin-1")
        return cls(credential.strip(), if_none_match.decode("latin-1") if if_none_match is not None else None)


def _address(scope: Scope) -> str:
    """The client's address as the server determined it (a trusted proxy's X-Forwarded-For included)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _admit(server: FlagServer, credential: str, address: str) -> Grant:
    """The client key's grant, within the address's and the key's rates; refusals as OFREP answers (401, 429).

    The address is charged first, so an address over its rate spends none of the key's shared tokens."""
    retry_after = server.address_limiter.take(address)
    if retry_after:
        raise _Refusal(
            429, "GENERAL", f"too many requests from this address; retry in {retry_after} s",
            {"Retry-After": str(retry_after)},
        )  # fmt: skip
    if not credential:
        raise _Refusal(401, "GENERAL", "send a flag client key as `Authorization: Bearer <key>`", CHALLENGE)
    try:
        grant = server.grant_from_cache(credential)
        if grant is None:
            grant = await run_in_threadpool(server.lookup, credential)
    except Unauthenticated as exc:
        # the key itself is never logged (and the log filter would mask it): only why and from where
        log.warning("OFREP client key refused (%s) from %s", exc.detail, address)
        raise _Refusal(401, "GENERAL", exc.detail, CHALLENGE) from None
    retry_after = server.limiter.take(grant.key_id)
    if retry_after:
        raise _Refusal(
            429, "GENERAL", f"too many requests for this client key; retry in {retry_after} s",
            {"Retry-After": str(retry_after)},
        )  # fmt: skip
    return grant


def _context(raw: bytes) -> dict[str, Any]:
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


def _unexpected() -> Answer:
    log.exception("OFREP evaluation failed")
    return 500, ANSWER_HEADERS, json.dumps({"errorDetails": "the flag service failed; it was logged"}).encode()


@dataclass(frozen=True)
class _Call:
    """An admitted request: the key's grant, the context, the environment's snapshot and the request headers."""

    grant: Grant
    context: dict[str, Any]
    snapshot: Snapshot
    headers: _Headers


def _flag_key(scope: Scope) -> str | None:
    """The flag of a single-flag path, None for the bulk path."""
    path: str = scope["path"]
    return path[len(SINGLE_PREFIX) :] if path != BULK_PATH else None


class OfrepHandler:
    """Both OFREP endpoints and their CORS preflight, as a `FastLaneMiddleware` handler."""

    def __init__(self, server: FlagServer) -> None:
        self.server = server

    def wants(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path == BULK_PATH:
            return True
        key = path[len(SINGLE_PREFIX) :]
        return path.startswith(SINGLE_PREFIX) and bool(key) and "/" not in key

    async def __call__(self, scope: Scope, body: bytes) -> Answer:
        method, key = scope["method"], _flag_key(scope)
        if method == "OPTIONS":
            return 204, PREFLIGHT, b""
        if method != "POST":
            status, headers, payload = _failure(_Refusal(405, "GENERAL", "OFREP evaluates with POST"), key)
            return status, [*headers, (b"allow", b"OPTIONS, POST")], payload
        try:
            call = await self._admitted(scope, body)
            return self._single(call, key) if key is not None else self._bulk(call)
        except _Refusal as refusal:
            return _failure(refusal, key)
        except Exception:
            return _unexpected()

    async def _admitted(self, scope: Scope, body: bytes) -> _Call:
        headers = _Headers.of(scope)
        grant = await _admit(self.server, headers.credential, _address(scope))
        context = _context(body)
        return _Call(grant, context, await _snapshot(self.server, grant.environment_id), headers)

    def _single(self, call: _Call, key: str) -> Answer:
        """One flag for one context."""
        flag = call.snapshot.flags.get(key)
        if flag is None:
            raise _Refusal(404, "FLAG_NOT_FOUND", f"no flag {key!r} in this environment")
        outcome = flag.evaluate(call.context)
        if outcome.error_code is not None:
            return 400, ANSWER_HEADERS, call.snapshot.render(flag, outcome)
        assert outcome.variant is not None
        self.server.count(flag.id, call.grant.environment_id, outcome.variant)
        return 200, ANSWER_HEADERS, call.snapshot.render(flag, outcome)

    def _bulk(self, call: _Call) -> Answer:
        """Every flag of the environment for one context; 304 when the client's ETag is still current."""
        etag = call.snapshot.etag(call.context)
        headers = [*ANSWER_HEADERS, (b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        if _etag_matches(call.headers.if_none_match, etag):
            return 304, headers[1:], b""
        parts = []
        for flag in call.snapshot.flags.values():
            outcome = flag.evaluate(call.context)
            if outcome.variant is not None:
                self.server.count(flag.id, call.grant.environment_id, outcome.variant)
            parts.append(call.snapshot.render(flag, outcome))
        return 200, headers, b'{"flags":[' + b",".join(parts) + b"]}"


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates or "*" in candidates
