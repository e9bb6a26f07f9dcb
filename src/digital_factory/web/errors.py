"""Domain errors on web pages: an HTML page (or a redirect to sign in), never a stack trace."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from digital_factory.core import errors
from digital_factory.web.context import status_for
from digital_factory.web.pages import PASSWORD_PAGE, PasswordChangeRequired, see_other
from digital_factory.web.rendering import render

log = logging.getLogger(__name__)


def _redirect(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return see_other(target)


def install(app: FastAPI) -> None:
    @app.exception_handler(PasswordChangeRequired)
    async def _password(request: Request, exc: PasswordChangeRequired) -> Response:
        return _redirect(request, PASSWORD_PAGE)

    @app.exception_handler(errors.DomainError)
    async def _domain(request: Request, exc: errors.DomainError) -> Response:
        if isinstance(exc, errors.Unauthenticated):
            return _redirect(request, "/login?next=" + quote(request.url.path))
        return render(request, "error.html", None, status_code=status_for(exc), title=exc.title, detail=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):  # an id no row can have
            return render(request, "error.html", None, status_code=404, title="Not found", detail="Nothing is here.")
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
