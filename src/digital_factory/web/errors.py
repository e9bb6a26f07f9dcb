"""Errors on web pages: one page in the layout for every status (what happened and the way back), or a
redirect to sign in; never a stack trace, never a bare text page."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from digital_factory.core import errors
from digital_factory.web.context import REFUSALS, Viewer, record_refused, status_for
from digital_factory.web.pages import PASSWORD_PAGE, PasswordChangeRequired, see_other
from digital_factory.web.rendering import AREA_BY_SLUG, render
from digital_factory.web.sessions import current_viewer

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong",
}
NEXT_STEPS = {
    403: "Your role or team does not allow this. Ask an administrator or the owning team if you need it.",
    404: "The address may be mistyped, or what it pointed to was removed or renamed.",
    405: "This address does not take that kind of request: a form may have been sent to a page that only shows.",
    409: "It clashes with the current state. Reload the page to see the latest, then try again.",
    413: "Nothing was stored. Send something smaller.",
    422: "Nothing was changed. Go back, correct the input and send it again.",
    429: "Wait a moment, then try again.",
    500: "Nothing was lost on your side; the details are in the server's log under that incident.",
}
# First path segments that are not an area of the loop, and the start page they belong under.
START_PAGES = {
    "catalog": ("teams", "The service catalog", "/catalog"),
    "git": ("teams", "The service catalog", "/catalog"),
    "admin": ("users", "Users", "/admin/users"),
    "account": ("account", "Your account", "/account"),
}


@dataclass(frozen=True)
class WayBack:
    active: str  # the navigation entry to mark
    label: str  # the area's start page
    url: str
    came_from: str | None  # the local page the person came from, when the browser said so


def way_back(request: Request) -> WayBack:
    """Where a person on an error page goes next: the page they came from (same site only) and the start
    page of the area the failed address belongs to (the overview when it belongs to none)."""
    parts = [p for p in request.url.path.split("/") if p]
    first = parts[0] if parts else ""
    slug = parts[1] if first == "area" and len(parts) > 1 else first
    area = AREA_BY_SLUG.get(slug)
    if area is not None:
        active, label, url = area.slug, f"{area.label}: start page", area.url
    else:
        active, label, url = START_PAGES.get(first, ("home", "The overview", "/"))
    return WayBack(active=active, label=label, url=url, came_from=_came_from(request))


def _came_from(request: Request) -> str | None:
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/") or referer.path.startswith("//"):
        return None
    local = referer.path + (f"?{referer.query}" if referer.query else "")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return None if local == here or referer.path == "/login" else local


def _viewer(request: Request) -> Viewer | None:
    """The signed-in person, for the navigation; None when not signed in (or the store cannot tell)."""
    try:
        return current_viewer(request)
    except Exception:  # an error page must render even when the session or the store is the problem
        return None


async def error_page(
    request: Request, status: int, detail: str, *, title: str | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    viewer = await run_in_threadpool(_viewer, request)
    back = way_back(request)
    response = render(
        request,
        "error.html",
        viewer,
        status_code=status,
        active=back.active,
        status=status,
        title=title or TITLES.get(status, "Not available"),
        detail=detail,
        next_step=NEXT_STEPS.get(status, ""),
        back=back,
    )
    response.headers.update(headers or {})
    return response


def _redirect(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return see_other(target)


def _http_detail(request: Request, exc: StarletteHTTPException) -> str:
    """Starlette's own reasons ("Not Found") say little: name the address and the request instead."""
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"There is no page at {request.url.path}."
    if exc.status_code == 405 and exc.detail == "Method Not Allowed":
        return f"{request.url.path} does not accept a {request.method} request."
    return str(exc.detail)


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
        headers = {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, errors.RateLimited) else None
        return await error_page(request, status_for(exc), exc.detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):  # an id no row can have
            return render(request, "error.html", None, status_code=404, title="Not found", detail="Nothing is here.")
        reasons = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors())
        return await error_page(request, 422, reasons)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return await error_page(request, exc.status_code, _http_detail(request, exc), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        incident = uuid.uuid4().hex[:12]
        log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path)
        return await error_page(request, 500, f"The error was logged as incident {incident}.")
