"""Cookie sessions and CSRF protection for the web UI."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Request, Response

from digital_factory.accounts import service as accounts
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import PermissionDenied, Unauthenticated
from digital_factory.runtime import Runtime
from digital_factory.web.context import Viewer, runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_name(public_url: str) -> str:
    # The __Host- prefix binds the cookie to this exact origin; browsers accept it only over https.
    return "__Host-factory_session" if is_https(public_url) else "factory_session"


def is_https(public_url: str) -> bool:
    return urlsplit(public_url).scheme == "https"


def set_session_cookie(response: Response, rt: Runtime, value: str) -> None:
    response.set_cookie(
        cookie_name(rt.public_url),
        value,
        max_age=int(rt.session_max_age.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(rt.public_url),
    )


def clear_session_cookie(response: Response, rt: Runtime) -> None:
    response.delete_cookie(
        cookie_name(rt.public_url), path="/", httponly=True, samesite="lax", secure=is_https(rt.public_url)
    )


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(cookie_name(runtime(request).public_url))


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_viewer(request: Request) -> Viewer:
    """The signed-in user, or Unauthenticated (the page handler turns that into a redirect to /login)."""
    cookie = session_cookie(request)
    if not cookie:
        raise Unauthenticated("please sign in")
    rt = runtime(request)
    with rt.store.unit_of_work(system_actor("auth"), write=False) as uow:
        resolved = accounts.resolve_session(uow, cookie, idle=rt.session_idle, ip=client_ip(request))
    if resolved.stale:
        with rt.store.unit_of_work(resolved.actor) as uow:
            accounts.touch_session(uow, resolved.credential_id)
    assert resolved.csrf_token is not None
    request.state.actor = resolved.actor  # for the audit entry of a refusal
    return Viewer(actor=resolved.actor, user=resolved.user, csrf_token=resolved.csrf_token)


def check_origin(request: Request) -> None:
    """Unsafe requests must come from our own origin (defence beside SameSite, which a sibling
    subdomain can bypass)."""
    expected = _origin_of(runtime(request).public_url)
    origin = request.headers.get("origin")
    if origin is not None:
        if origin != expected:
            raise PermissionDenied(f"cross-origin request refused (Origin {origin})")
        return
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        raise PermissionDenied(f"cross-site request refused (Sec-Fetch-Site {fetch_site})")


async def check_csrf(request: Request, viewer: Viewer) -> None:
    """Synchronizer token (header from htmx, or form field) bound to the session, plus the origin check."""
    check_origin(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, viewer.csrf_token):
        raise PermissionDenied("the form has expired or did not come from this site (CSRF token missing or wrong)")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
