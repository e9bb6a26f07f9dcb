"""Domain errors on web pages: an HTML page (or a redirect to sign in), never a stack trace."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from digital_factory.accounts import service as accounts
from digital_factory.core import errors
from digital_factory.core.actor import Origin
from digital_factory.web.context import runtime, status_for
from digital_factory.web.pages import PASSWORD_PAGE, PasswordChangeRequired, see_other
from digital_factory.web.rendering import render

log = logging.getLogger(__name__)


def _redirect(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return see_other(target)


REFUSALS = (errors.PermissionDenied, errors.RateLimited)


def record_refused(request: Request, exc: errors.DomainError) -> None:
    """Audit a refusal leaving a page or form: who (if signed in), the route, why (as the API does)."""
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', None) or request.url.path}"
    actor = getattr(request.state, "actor", None)
    ip = request.client.host if request.client else None
    accounts.record_refusal(
        runtime(request).store,
        actor,
        action=action,
        target=request.url.path,
        reason=exc.detail,
        origin=Origin.WEB,
        ip=ip,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        return _redirect(request, PASSWORD_PAGE)

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> Response:
        if isinstance(exc, errors.Unauthenticated):
            return _redirect(request, "/login?next=" + quote(request.url.path))
        if isinstance(exc, REFUSALS):
            await run_in_threadpool(record_refused, request, exc)
        return render(request, "error.html", None, status_code=status_for(exc), title=exc.title, detail=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        reasons = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        return render(request, "error.html", None, status_code=422, title="Invalid input", detail=reasons)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return render(
            request, "error.html", None, status_code=exc.status_code, title="Not available", detail=str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
        return render(
            request,
            "error.html",
            None,
            status_code=500,
            title="Something went wrong",
            detail=f"The error was logged as incident {incident}.",
        )
