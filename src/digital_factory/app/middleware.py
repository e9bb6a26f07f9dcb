"""ASGI middleware applied to every request: body size limit, request guards and security headers."""

from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# Longest request target (path and query string) the server accepts; longer ones get 414 problem JSON.
MAX_URL_BYTES = 8192
# Deepest nesting of arrays and objects accepted in a JSON body; deeper ones get 400 problem JSON.
MAX_JSON_DEPTH = 64
NUL_REASON = "must not contain NUL characters"


class BodyTooLarge(Exception):
    pass


def _problem(status: int, code: str, title: str, detail: str, **extra: Any) -> tuple[Message, Message]:
    body = json.dumps(
        {"type": f"urn:digital-factory:problem:{code}", "title": title, "status": status, "detail": detail, **extra}
    ).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def _refusal(max_bytes: int) -> tuple[Message, Message]:
    return _problem(
        413, "body-too-large", "Content Too Large", f"The request body exceeds the limit of {max_bytes} bytes."
    )


class _LimitedExchange:
    """One request's receive/send pair that stops reading past the limit and answers 413 instead."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive, self._send, self.max_bytes = receive, send, max_bytes
        self.received = 0
        self.exceeded = False
        self.refused = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                self.exceeded = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        # Frameworks may turn the exception into their own 400; the 413 replaces whatever they send.
        if not self.exceeded:
            await self._send(message)
        else:
            await self.refuse()

    async def refuse(self) -> None:
        if self.refused:
            return
        self.refused = True
        for message in _refusal(self.max_bytes):
            await self._send(message)


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes` with 413 problem JSON, by Content-Length or while streaming.

    Paths under `exempt_prefixes` apply their own limit (git pushes are larger than any API body)."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        exchange = _LimitedExchange(receive, send, self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await exchange.refuse()
            return
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except BodyTooLarge:
            await exchange.refuse()


# A JSON string (escapes included), matched without backtracking; what is left holds the structure only.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `body` nest deeper than `limit` (brackets inside strings don't count).

    Linear in the body's size and needs no parse, so it is safe before a recursive parser sees the body."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in (0x5B, 0x7B) else -1
        if depth > limit:
            return True
    return False


class RequestGuardMiddleware:
    """Refuses, as problem JSON before any route sees them: request targets over `MAX_URL_BYTES` (414), NUL
    characters in the path, query string or a url-encoded form (422, naming the field), and JSON bodies nested
    deeper than `MAX_JSON_DEPTH` (400). Runs inside the body limit, so the body it reads is already bounded."""

    def __init__(self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _refuse_target(scope)
        kind = _body_kind(scope)
        if refusal is None and kind and not scope["path"].startswith(self.exempt_prefixes):
            body, receive = await _buffered(receive)
            refusal = _refuse_json(body) if kind == "json" else _refuse_form(body)
        if refusal is not None:
            for message in refusal:
                await send(message)
            return
        await self.app(scope, receive, send)


def _body_kind(scope: Scope) -> str | None:
    """ "json" for bodies the product may parse as JSON (declared, or undeclared: FastAPI reads those as JSON),
    "form" for url-encoded forms, None for the rest (multipart uploads, git packs) and bodiless methods."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
    if not content_type or content_type == b"application/json" or content_type.endswith(b"+json"):
        return "json"
    return "form" if content_type == b"application/x-www-form-urlencoded" else None


def _refuse_json(body: bytes) -> tuple[Message, Message] | None:
    if not json_depth_exceeds(body):
        return None
    detail = f"The request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels."
    return _problem(400, "malformed-json", "Malformed JSON", detail)


def _refuse_form(body: bytes) -> tuple[Message, Message] | None:
    if b"%00" not in body:
        return None
    fields = sorted({name for name, value in parse_qsl(body.decode("latin-1")) if "\x00" in name + value})
    return _nul_refusal(fields or ["body"])


def _nul_refusal(fields: list[str]) -> tuple[Message, Message]:
    errors = [{"field": field, "reason": NUL_REASON} for field in fields]
    detail = "; ".join(f"{field}: {NUL_REASON}" for field in fields)
    return _problem(422, "validation-failed", "Invalid input", detail, errors=errors)


def _refuse_target(scope: Scope) -> tuple[Message, Message] | None:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    if len(raw_path) + len(query) > MAX_URL_BYTES:
        return _problem(
            414, "uri-too-long", "URI Too Long", f"The request target exceeds the limit of {MAX_URL_BYTES} bytes."
        )
    fields = [field for field, nul in (("path", "\x00" in scope["path"]), ("query", b"%00" in query)) if nul]
    return _nul_refusal(fields) if fields else None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a receive that hands it on to the application as one message."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the application see it
            pending: list[Message] = [message]
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            pending = []
            break
    body = b"".join(chunks)
    replay: list[Message] = pending or [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return replay.pop(0) if replay else await receive()

    return body, replayed


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _answers(routes: Iterable[BaseRoute], scope: Scope) -> bool:
    """Whether some route (mounted applications and included routers too) fully matches this scope."""
    for route in routes:
        match, child = route.matches(dict(scope))
        if match is not Match.FULL:
            continue
        if not isinstance(route, Mount) or not route.routes or _answers(route.routes, {**scope, **child}):
            return True
    return False


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route answers at this scope's path."""
    routes = list(routes)
    probe = {key: value for key, value in scope.items() if key not in ("fastapi", "route", "endpoint")}
    return [method for method in _METHODS if _answers(routes, {**probe, "method": method})]


class _ResponseStartMiddleware(ABC):
    """Base of the middleware that amend the start (status and headers) of every HTTP answer on its way out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        original = dict(scope)  # mounted applications change the scope in place

        async def amended(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.amend(message, original)
            await send(message)

        await self.app(scope, receive, amended)

    @abstractmethod
    def amend(self, start: Message, scope: Scope) -> None:
        """Change `start` in place; `scope` is the request's scope as this middleware received it."""


class AllowHeaderMiddleware(_ResponseStartMiddleware):
    """Gives every 405 answer an `Allow` header naming all the methods the path answers to.

    The router stops at the first route whose path matches, so its own header misses the methods of
    other routes on the same path (a GET and a POST declared apart)."""

    def amend(self, start: Message, scope: Scope) -> None:
        if start["status"] != 405:
            return
        methods = allowed_methods(getattr(scope.get("app"), "routes", []), scope)
        if methods:
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"allow"]
            start["headers"] = [*headers, (b"allow", ", ".join(methods).encode())]


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"
        b"; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
]


class SecurityHeadersMiddleware(_ResponseStartMiddleware):
    def amend(self, start: Message, scope: Scope) -> None:
        present = {name for name, _ in start.get("headers", [])}
        start["headers"] = list(start.get("headers", [])) + [
            header for header in SECURITY_HEADERS if header[0] not in present
        ]


class FastHandler(Protocol):
    """A raw ASGI handler for a hot path: says which requests it wants, and answers one from its body."""

    def wants(self, scope: Scope) -> bool: ...

    async def __call__(self, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]: ...


class FastLaneMiddleware:
    """Answers the requests `handler` wants before the framework's routing and the other middleware (their cost
    is most of a small answer's), applying the same protections: the request target guard, the body limit,
    the body guard (JSON depth, NUL in forms) and the security headers. Put it in front (`FrontedApp`)."""

    def __init__(self, app: ASGIApp, handler: FastHandler, max_bytes: int) -> None:
        self.app, self.handler, self.max_bytes = app, handler, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.handler.wants(scope):
            await self.app(scope, receive, send)
            return
        refusal = _refuse_target(scope)
        body = b""
        if refusal is None:
            bounded = await _bounded_body(scope, receive, self.max_bytes)
            if bounded is None:
                refusal = _refusal(self.max_bytes)
            elif isinstance(bounded, bytes):
                body = bounded
                kind = _body_kind(scope)
                refusal = _refuse_json(body) if kind == "json" else _refuse_form(body) if kind == "form" else None
            else:  # the client went away
                return
        if refusal is not None:
            for message in refusal:
                await send(message)
            return
        status, headers, payload = await self.handler(scope, body)
        length = [] if status in (204, 304) else [(b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": [*headers, *length, *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": payload})


class KeptAnswerMiddleware:
    """Answers a GET request that `answers` has a kept answer for (`api.kept`) before the framework's routing and
    the other middleware, with the same request target guard and security headers; everything else goes on."""

    def __init__(self, app: ASGIApp, answers: Callable[[Scope], bytes | None]) -> None:
        self.app, self.answers = app, answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._kept(scope) if scope["type"] == "http" else None
        if body is None or _refuse_target(scope) is not None:
            await self.app(scope, receive, send)
            return
        length = str(len(body)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", length), *SECURITY_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _kept(self, scope: Scope) -> bytes | None:
        try:
            return self.answers(scope)
        except Exception:  # the ordinary route answers it, with its own error handling
            log.exception("a kept answer could not be looked up")
            return None


class FrontedApp(FastAPI):
    """The FastAPI app with hot-path middleware in front of the framework's own layers (Starlette's error
    middleware, FastAPI's telemetry and body limit, the app's other middleware), which cost more than a kept
    answer or a flag evaluation itself. What is put in front must answer its own errors."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._front: ASGIApp = super().__call__

    def put_in_front(self, middleware: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap what is in front so far in `middleware`: the last one put is the first a request meets."""
        self._front = middleware(self._front, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._front(scope, receive, send)


async def _bounded_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes | bool | None:
    """The whole body; None when it exceeds `max_bytes` (declared or streamed); False when the client left."""
    declared = dict(scope["headers"]).get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
