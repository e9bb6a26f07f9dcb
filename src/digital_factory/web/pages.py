"""Web routes: sign-in, the overview, the loop's areas, account and administration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import (
    ROLE_DESCRIPTIONS,
    AuditFilter,
    Permission,
    Role,
    TokenCreate,
    UserCreate,
    UserUpdate,
)
from digital_factory.core.actor import Origin, system_actor
from digital_factory.core.errors import DomainError, NotFound, RateLimited, Unauthenticated, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.runtime import Runtime
from digital_factory.web.audit_view import audit_rows
from digital_factory.web.context import Viewer, can, read, refusal, runtime, write
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.rendering import AREA_BY_SLUG, render
from digital_factory.web.sessions import (
    check_csrf,
    check_origin,
    clear_session_cookie,
    client_ip,
    current_viewer,
    session_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
PASSWORD_PAGE = "/account/password"  # noqa: S105  (a path)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"


class PasswordChangeRequired(Exception):
    """A user with a one-time password must choose their own before anything else."""


def page_viewer(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer.user.must_change_password and request.url.path not in {PASSWORD_PAGE, "/logout"}:
        raise PasswordChangeRequired
    return viewer


async def form_viewer(request: Request) -> Viewer:
    viewer = await run_in_threadpool(page_viewer, request)
    await check_csrf(request, viewer)
    return viewer


PageViewer = Annotated[Viewer, Depends(page_viewer)]
FormViewer = Annotated[Viewer, Depends(form_viewer)]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def back_with_notice(url: str, notice: str | None = None, anchor: str = "") -> RedirectResponse:
    """Back to a page after a form's change, with what happened as the page's notice."""
    return see_other(url + (f"?notice={quote(notice)}" if notice else "") + (f"#{anchor}" if anchor else ""))


# --- sign in and out ---------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_origin(request)
    rt = runtime(request)
    ip = client_ip(request) or "unknown"
    try:
        rt.login_throttle.check(username, ip)
        with rt.store.unit_of_work(system_actor("login")) as uow:
            user = accounts.authenticate(uow, username, password)
            cookie, _ = accounts.start_session(
                uow, user, max_age=rt.session_max_age, ip=ip, user_agent=request.headers.get("user-agent")
            )
    except DomainError as exc:
        # Sign-in keeps its own policy: a wrong password is this form's answer (401), not a redirect to it.
        if isinstance(exc, Unauthenticated):
            _record_failed_login(rt, username, ip)
        elif isinstance(exc, RateLimited):
            detail = f"sign-in as {username[:64]!r} from {ip} throttled: {exc.detail}"
            accounts.record_refusal(
                rt.store, None, action="session.login", target="/login", reason=detail, origin=Origin.WEB, ip=ip
            )
        status = 429 if isinstance(exc, RateLimited) else 401
        return render(
            request, "login.html", None, status_code=status, error=exc.detail, username=username, next=_safe_next(next)
        )
    rt.login_throttle.succeeded(username, ip)
    response = see_other(PASSWORD_PAGE if user.must_change_password else _safe_next(next))
    set_session_cookie(response, rt, cookie)
    return response


@router.post("/logout")
def logout(request: Request, viewer: FormViewer) -> Response:
    cookie = session_cookie(request)
    if cookie:
        write(request, viewer, lambda uow: accounts.end_session(uow, cookie))
    response = see_other("/login")
    clear_session_cookie(response, runtime(request))
    return response


def _record_failed_login(rt: Runtime, username: str, ip: str) -> None:
    rt.login_throttle.failed(username, ip)
    with rt.store.unit_of_work(system_actor("login")) as uow:
        detail = f"failed login as {username[:64]!r} from {ip}"
        accounts.record_audit(uow, "session.login", "user", None, outcome="failure", detail=detail)


def _safe_next(target: str) -> str:
    # only local paths: an open redirect after login is a phishing aid
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


# --- overview and areas ------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: PageViewer) -> Response:
    recent = None
    if can(viewer, Permission.AUDIT_READ):
        recent = read(
            request, viewer, lambda uow: accounts.list_audit_entries(uow, AuditFilter(), PageRequest(limit=8))
        )
    return render(request, "home.html", viewer, active="home", recent=recent)


# The parts of the loop that are not built yet, and what each will hold (docs/DESIGN: feedback, insights).
PLANNED: dict[str, tuple[str, ...]] = {}


@router.get("/area/{slug}", response_class=HTMLResponse)
def area(request: Request, viewer: PageViewer, slug: str) -> Response:
    found = AREA_BY_SLUG.get(slug)
    if found is None:
        raise NotFound(f"there is no area {slug!r}")
    if found.href:
        return see_other(found.href)  # a built area has its own start page
    return render(request, "area.html", viewer, active=slug, area=found, planned=PLANNED.get(slug, ()))


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico on their own: answer with the icon every page links."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


# --- account -------------------------------------------------------------------------------------


def _account_page(request: Request, viewer: Viewer, **context: Any) -> Response:
    tokens = read(request, viewer, lambda uow: accounts.list_tokens(uow, viewer.user.username))
    return render(
        request,
        "account.html",
        viewer,
        active="account",
        tokens=tokens,
        role_description=ROLE_DESCRIPTIONS[viewer.user.role],
        **context,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, viewer: PageViewer) -> Response:
    return _account_page(request, viewer)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, viewer: FormViewer, name: Annotated[str, Form()], expires_in_days: Annotated[int, Form()] = 90
) -> Response:
    data = parse_input(TokenCreate, {"name": name, "expires_in_days": expires_in_days})
    digester = runtime(request).digester
    created = write(request, viewer, lambda uow: accounts.create_token(uow, digester, viewer.user.username, data))
    return _account_page(request, viewer, created=created)


@router.post("/account/tokens/{public_id}/revoke")
def revoke_token(request: Request, viewer: FormViewer, public_id: str) -> Response:
    write(request, viewer, lambda uow: accounts.revoke_token(uow, public_id))
    return see_other("/account")


@router.get(PASSWORD_PAGE, response_class=HTMLResponse)
def password_page(request: Request, viewer: PageViewer) -> Response:
    return render(request, "password.html", viewer, active="account")


@router.post(PASSWORD_PAGE, response_class=HTMLResponse)
def change_password(
    request: Request,
    viewer: FormViewer,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    repeat_password: Annotated[str, Form()],
) -> Response:
    username = viewer.user.username
    try:
        if new_password != repeat_password:
            raise ValidationFailed.on("repeat_password", "does not match the new password")
        write(request, viewer, lambda uow: accounts.change_password(uow, username, current_password, new_password))
    except ValidationFailed as exc:
        refused = refusal(exc)
        return render(
            request, "password.html", viewer, status_code=refused.status, active="account", error=refused.message
        )
    return see_other("/")


# --- administration ----------------------------------------------------------------------------


def _users_page(
    request: Request, viewer: Viewer, *, offset: int = 0, status_code: int = 200, **context: Any
) -> Response:
    users = read(request, viewer, lambda uow: accounts.list_users(uow, PageRequest(limit=100, offset=offset)))
    return render(
        request,
        "users.html",
        viewer,
        status_code=status_code,
        active="users",
        users=users,
        roles=list(Role),
        can_admin=can(viewer, Permission.ACCOUNTS_ADMIN),
        **context,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, viewer: PageViewer, offset: Offset = 0) -> Response:
    return _users_page(request, viewer, offset=offset)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    viewer: FormViewer,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse_input(UserCreate, {"username": username, "role": role, "display_name": display_name or None})
        created = write(request, viewer, lambda uow: accounts.create_user(uow, data))
    except DomainError as exc:
        refused = refusal(exc)
        return _users_page(request, viewer, status_code=refused.status, error=refused.message)
    return _users_page(request, viewer, created=created)


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def update_user(
    request: Request,
    viewer: FormViewer,
    username: str,
    role: Annotated[str, Form()],
    is_active: Annotated[str, Form()] = "on",
) -> Response:
    accounts.require(viewer.actor, Permission.ACCOUNTS_ADMIN)
    data = parse_input(UserUpdate, {"role": role, "is_active": is_active == "on"})
    write(request, viewer, lambda uow: accounts.update_user(uow, username, data))
    return see_other("/admin/users")


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    viewer: PageViewer,
    action: str | None = None,
    object_type: str | None = None,
    actor: str | None = None,
    offset: Offset = 0,
) -> Response:
    accounts.require(viewer.actor, Permission.AUDIT_READ)
    filters = AuditFilter(action=action or None, object_type=object_type or None, actor=actor or None)
    entries = read(
        request, viewer, lambda uow: accounts.list_audit_entries(uow, filters, PageRequest(limit=50, offset=offset))
    )
    return render(
        request,
        "audit.html",
        viewer,
        active="audit",
        entries=entries,
        rows=audit_rows(entries.items),
        filters=filters,
        pager=pager_of("/admin/audit", filters.model_dump(), entries),
    )
