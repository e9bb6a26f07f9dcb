"""RFC 9457 problem JSON for every error the API returns. Domain errors are mapped here, once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from digital_factory.accounts import service as accounts
from digital_factory.core import errors
from digital_factory.core.actor import Origin
from digital_factory.runtime import runtime_of

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:digital-factory:problem:"

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.ValidationFailed: 422,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.RateLimited: 429,
    errors.SchemaMismatch: 503,
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code if code else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def domain_error_response(exc: errors.DomainError, path: str) -> JSONResponse:
    status = next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(exc, cls)), 400)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, errors.ValidationFailed):
        extra["errors"] = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    if isinstance(exc, errors.Conflict) and exc.rule:
        extra["rule"] = exc.rule
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="factory"'
    return problem(status, exc.detail, code=exc.code, title=exc.title, instance=path, headers=headers, **extra)


def _field_path(location: Sequence[Any]) -> str:
    return ".".join(str(part) for part in location)


def validation_response(exc: RequestValidationError, path: str) -> JSONResponse:
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        reason = next(
            p.get("ctx", {}).get("error", "not valid JSON") for p in problems if p.get("type") == "json_invalid"
        )
        return problem(
            400,
            f"The request body is not valid JSON: {reason}",
            code="malformed-json",
            title="Malformed JSON",
            instance=path,
        )
    if any(tuple(p.get("loc", ()))[:1] == ("path",) for p in problems):
        # A path id no row can have (out of range, not a number) names nothing: the resource does not exist.
        fields = ", ".join(_field_path(p.get("loc", ())[1:]) for p in problems if p.get("loc", ())[:1] == ("path",))
        return problem(404, f"Nothing has this {fields}.", code="not-found", title="Not found", instance=path)
    items = [{"field": _field_path(p.get("loc", ())), "reason": p.get("msg", "invalid")} for p in problems]
    summary = "; ".join(f"{i['field']}: {i['reason']}" for i in items[:5])
    return problem(422, summary, code="validation-failed", title="Invalid input", instance=path, errors=items)


REFUSALS = (errors.PermissionDenied, errors.RateLimited)


def route_action(request: Request) -> str:
    """What a request tried, for the audit log: method and route template (`PUT /services/{key}/secrets/{name}`)."""
    route = request.scope.get("route")
    template = getattr(route, "path", None) or request.url.path
    return f"{request.method} {template}"


def record_refused(request: Request, exc: errors.DomainError) -> None:
    """Audit a refusal leaving an API request: who (the token's actor, if it got that far), the route, why."""
    actor = getattr(request.state, "actor", None)
    store = runtime_of(request).store
    ip = request.client.host if request.client else None
    accounts.record_refusal(
        store, actor, action=route_action(request), target=request.url.path, reason=exc.detail, origin=Origin.API, ip=ip
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> JSONResponse:
        if isinstance(exc, REFUSALS):
            await run_in_threadpool(record_refused, request, exc)
        return domain_error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), instance=request.url.path, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
        return problem(
            500,
            f"An unexpected error occurred; it was logged as incident {incident}.",
            code="internal",
            instance=request.url.path,
            incident=incident,
        )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_MEDIA_TYPE: {}}}
    for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
