"""Accounts use-cases: users, passwords, API tokens, web sessions. Callers own the transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import contains_eager

from digital_factory.accounts import audit, bearer, models
from digital_factory.accounts.audit import list_entries as list_audit_entries
from digital_factory.accounts.audit import record as record_audit
from digital_factory.accounts.audit import record_each as record_audit_each
from digital_factory.accounts.bearer import SecretDigester
from digital_factory.accounts.bearer import generate as generate_secret
from digital_factory.accounts.bearer import parse as parse_secret
from digital_factory.accounts.events import TokenRevoked, UserChanged
from digital_factory.accounts.passwords import hash_password, verify_password
from digital_factory.accounts.policy import allowed, require
from digital_factory.accounts.schemas import (
    CreatedToken,
    CreatedUser,
    Permission,
    Role,
    Token,
    TokenCreate,
    User,
    UserCreate,
    UserUpdate,
    normalize_username,
    permissions_for,
    valid_scopes,
)
from digital_factory.accounts.throttle import LoginThrottle
from digital_factory.accounts.token_cache import TokenCache
from digital_factory.core.actor import Actor, Origin
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.store.paging import paginate, rows_as
from digital_factory.store.search import any_contains
from digital_factory.store.uow import Store, UnitOfWork

__all__ = [
    "FIRST_ADMIN",
    "TOKEN_PREFIX",
    "LoginThrottle",
    "Resolved",
    "SecretDigester",
    "TokenCache",
    "actor_for",
    "allowed",
    "authenticate",
    "cached_token",
    "change_password",
    "create_token",
    "create_user",
    "end_session",
    "ensure_first_admin",
    "generate_password",
    "generate_secret",
    "get_user",
    "list_audit_entries",
    "list_tokens",
    "list_users",
    "may_pick_users",
    "parse_secret",
    "purge_expired_sessions",
    "record_audit",
    "record_audit_each",
    "record_refusal",
    "require",
    "resolve_session",
    "resolve_token",
    "resolve_token_cached",
    "revoke_token",
    "start_session",
    "touch_session",
    "touch_token",
    "update_user",
    "user_matches",
    "users_by_id",
]

TOKEN_PREFIX = "dfat"  # noqa: S105  (a public prefix, not a secret)
FIRST_ADMIN = "admin"


# --- users -----------------------------------------------------------------------------------


def create_user(uow: UnitOfWork, data: UserCreate) -> CreatedUser:
    require(uow.actor, Permission.ACCOUNTS_ADMIN)
    return _insert_user(uow, data)


def _insert_user(uow: UnitOfWork, data: UserCreate) -> CreatedUser:
    if uow.session.scalar(select(models.User.id).where(models.User.username == data.username)):
        raise Conflict(f"a user named {data.username!r} already exists", rule="unique-username")
    generated = None if data.password else generate_password()
    user = models.User(
        username=data.username,
        display_name=data.display_name or data.username,
        role=str(data.role),
        password_hash=hash_password(data.password or generated or ""),
        must_change_password=generated is not None,
        is_active=True,
        created_at=uow.clock.now(),
    )
    uow.session.add(user)
    uow.session.flush()
    out = User.model_validate(user)
    audit.record(uow, "user.create", "user", user.username, after=_user_view(out))
    return CreatedUser(user=out, one_time_password=generated)


def ensure_first_admin(uow: UnitOfWork, *, one_time: bool = True) -> CreatedUser | None:
    """On an empty store, create the admin with a generated password (never a default one).

    `one_time` makes the admin choose their own at first sign-in; the throw-away demo store skips that."""
    if uow.session.scalar(select(func.count(models.User.id))):
        return None
    created = _insert_user(uow, UserCreate(username=FIRST_ADMIN, display_name="Administrator", role=Role.ADMIN))
    if not one_time:
        uow.session.execute(
            update(models.User).where(models.User.id == created.user.id).values(must_change_password=False)
        )
        created = CreatedUser(
            user=created.user.model_copy(update={"must_change_password": False}),
            one_time_password=created.one_time_password,
        )
    return created


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def get_user(uow: UnitOfWork, username: str) -> User:
    return User.model_validate(_user_row(uow, username))


def users_by_id(uow: UnitOfWork, ids: list[int]) -> dict[int, User]:
    """Users by id, for other domains that show who did what."""
    if not ids:
        return {}
    rows = uow.session.scalars(select(models.User).where(models.User.id.in_(set(ids))))
    return {row.id: User.model_validate(row) for row in rows}


def list_users(uow: UnitOfWork, page: PageRequest) -> Page[User]:
    require(uow.actor, Permission.READ)
    return paginate(uow.session, select(models.User), page, rows_as(User), order_by=[models.User.username])


# Who may look people up by name: those who administer accounts, add a team's members or name an epic's owner.
USER_PICKERS = (Permission.ACCOUNTS_ADMIN, Permission.TEAMS_WRITE, Permission.PORTFOLIO_WRITE)


def may_pick_users(actor: Actor) -> bool:
    return any(allowed(actor, permission) for permission in USER_PICKERS)


def user_matches(uow: UnitOfWork, text: str = "", *, limit: int = 20) -> list[User]:
    """Users whose username or display name holds `text`, by username: at most `limit` of them, for a
    picker that narrows as one types; only for those who may pick people (see USER_PICKERS)."""
    if not may_pick_users(uow.actor):
        raise PermissionDenied(f"{uow.actor.name} ({uow.actor.role}) may not look up users")
    user = models.User
    query = select(user)
    words = text.strip()
    if words:
        query = query.where(any_contains(words, user.username, user.display_name))
    return [User.model_validate(row) for row in uow.session.scalars(query.order_by(user.username).limit(limit))]


def update_user(uow: UnitOfWork, username: str, data: UserUpdate) -> User:
    require(uow.actor, Permission.ACCOUNTS_ADMIN)
    row = _user_row(uow, username)
    before = _user_view(User.model_validate(row))
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if row.id == uow.actor.user_id and ("role" in changes or changes.get("is_active") is False):
        raise Conflict("you cannot change your own role or deactivate yourself", rule="self-demotion")
    for name, value in changes.items():
        setattr(row, name, str(value) if name == "role" else value)
    if changes.get("is_active") is False:
        uow.session.execute(delete(models.WebSession).where(models.WebSession.user_id == row.id))
    uow.session.flush()
    out = User.model_validate(row)
    audit.record(uow, "user.update", "user", row.username, before=before, after=_user_view(out))
    uow.emit(UserChanged(user_id=row.id))
    return out


def change_password(uow: UnitOfWork, username: str, current: str, new: str) -> None:
    row = _user_row(uow, username)
    if row.id != uow.actor.user_id:
        raise PermissionDenied("you can only change your own password")
    if not verify_password(row.password_hash, current):
        raise ValidationFailed.on("current_password", "is not your current password")
    if current == new:
        raise ValidationFailed.on("new_password", "must differ from the current password")
    row.password_hash = hash_password(new)
    row.must_change_password = False
    audit.record(uow, "user.password-change", "user", row.username)


def authenticate(uow: UnitOfWork, username: str, password: str) -> User:
    """Check a password login. The same message for every failure, so it reveals no usernames."""
    row = uow.session.scalar(select(models.User).where(models.User.username == normalize_username(username)))
    if not verify_password(row.password_hash if row else None, password) or row is None or not row.is_active:
        raise Unauthenticated("unknown user or wrong password")
    row.last_login_at = uow.clock.now()
    return User.model_validate(row)


def actor_for(
    user: User,
    *,
    origin: Origin,
    ip: str | None = None,
    scopes: frozenset[str] | None = None,
    token_id: int | None = None,
) -> Actor:
    return Actor(
        user_id=user.id,
        name=user.username,
        role=str(user.role),
        permissions=permissions_for(user.role, scopes),
        origin=origin,
        token_id=token_id,
        ip=ip,
    )


def _user_row(uow: UnitOfWork, username: str) -> models.User:
    row = uow.session.scalar(select(models.User).where(models.User.username == username))
    if row is None:
        raise NotFound(f"no user named {username!r}")
    return row


def _user_view(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "is_active": user.is_active,
    }


# --- refused attempts ---------------------------------------------------------------------------


def record_refusal(
    store: Store,
    actor: Actor | None,
    *,
    action: str,
    target: str,
    reason: str,
    origin: Origin = Origin.SYSTEM,
    ip: str | None = None,
) -> None:
    """Audit a refused attempt (permission denied, throttled) in its own transaction: the refused request's
    own unit of work has rolled back, so this entry is all it leaves. The edges call it once, where a
    refusal leaves a request (API and web error handlers, sign-in)."""
    who = actor or Actor(user_id=None, name="anonymous", role="", origin=origin, ip=ip)
    with store.unit_of_work(who) as uow:
        audit.record(uow, action[:80], "request", target[:80], outcome="refused", detail=reason[:2000])


# --- API tokens --------------------------------------------------------------------------------


def create_token(uow: UnitOfWork, digester: bearer.SecretDigester, username: str, data: TokenCreate) -> CreatedToken:
    """A new token. Tokens cannot grow: one made by a token carries no scope and no later expiry than the
    token that made it (omitted scopes are inherited from it), and only an admin-scoped token may make one
    at all (docs/accounts.md, "Who may manage tokens")."""
    owner = _user_row(uow, username)
    _require_token_admin(uow, owner.id)
    now = uow.clock.now()
    parent = _calling_token(uow)
    scopes = _checked_scopes(data.scopes)
    scopes = _within_caller(uow.actor, parent, scopes)
    expires_at = now + timedelta(days=data.expires_in_days)
    if parent is not None and expires_at > as_utc(parent.expires_at):
        if "expires_in_days" in data.model_fields_set:
            raise PermissionDenied(
                f"a token cannot outlive the token that makes it (it expires {as_utc(parent.expires_at):%Y-%m-%d})"
            )
        expires_at = as_utc(parent.expires_at)
    secret = bearer.generate(TOKEN_PREFIX)
    row = models.ApiToken(
        public_id=secret.public_id,
        owner=owner,
        name=data.name,
        digest=digester.digest(secret.full),
        scopes=sorted(scopes) if scopes is not None else None,
        created_at=now,
        expires_at=expires_at,
    )
    uow.session.add(row)
    uow.session.flush()
    token = Token.model_validate(row)
    audit.record(
        uow,
        "token.create",
        "token",
        row.public_id,
        after={
            "name": row.name,
            "owner": owner.username,
            "scopes": row.scopes,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    return CreatedToken(token=token, secret=secret.full)


def _checked_scopes(scopes: list[str] | None) -> frozenset[str] | None:
    if scopes is None:
        return None
    unknown = sorted(set(scopes) - valid_scopes())
    if unknown:
        raise ValidationFailed.on(
            "scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(valid_scopes()))}"
        )
    if not scopes:
        raise ValidationFailed.on("scopes", "must name at least one scope, or be omitted")
    return frozenset(scopes)


def _require_token_admin(uow: UnitOfWork, owner_id: int) -> None:
    """Making or revoking a token: anyone's needs `accounts:admin`; one's own too when the caller is itself
    an API token (so a narrowed token cannot mint or revoke its siblings); a web session manages its own."""
    actor = uow.actor
    if (owner_id == actor.user_id and actor.token_id is None) or allowed(actor, Permission.ACCOUNTS_ADMIN):
        return
    what = "other people's tokens" if owner_id != actor.user_id else "tokens"
    via = " with an API token that lacks the accounts:admin scope" if actor.token_id is not None else ""
    raise PermissionDenied(
        f"{actor.name} ({actor.role}) may not manage {what}{via}; manage your own tokens at Account in the web UI"
    )


def _calling_token(uow: UnitOfWork) -> models.ApiToken | None:
    if uow.actor.token_id is None:
        return None
    return uow.session.get(models.ApiToken, uow.actor.token_id)


def _within_caller(
    actor: Actor, parent: models.ApiToken | None, scopes: frozenset[str] | None
) -> frozenset[str] | None:
    """The new token's scopes: never more than the caller holds (a token: its effective permissions)."""
    held = frozenset(actor.permissions) if "*" not in actor.permissions else valid_scopes()
    if scopes is None:
        if parent is None or parent.scopes is None:
            return None
        return held & valid_scopes()
    beyond = sorted(scopes - held)
    if beyond:
        raise PermissionDenied(f"a token cannot be given scopes its maker does not hold: {', '.join(beyond)}")
    return scopes


def list_tokens(uow: UnitOfWork, username: str | None = None) -> list[Token]:
    """The actor's own tokens; an admin may list anyone's (username=None: everybody's)."""
    query = _with_owner()
    if username is None or username != uow.actor.name:
        require(uow.actor, Permission.ACCOUNTS_ADMIN)
    if username is not None:
        query = query.where(models.User.username == username)
    return [Token.model_validate(row) for row in uow.session.scalars(query.order_by(models.ApiToken.id))]


def revoke_token(uow: UnitOfWork, public_id: str) -> Token:
    row = uow.session.scalar(_with_owner().where(models.ApiToken.public_id == public_id))
    if row is None:
        raise NotFound(f"no token {public_id!r}")
    if row.id != uow.actor.token_id:  # a token may always revoke itself (a leaked token's holder can)
        _require_token_admin(uow, row.user_id)
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        audit.record(uow, "token.revoke", "token", row.public_id, after={"owner": row.username})
        uow.emit(TokenRevoked(public_id=row.public_id))
    return Token.model_validate(row)


def _with_owner() -> Select[models.ApiToken]:
    """Tokens with their owner loaded (the `Token` DTO names the owner)."""
    return select(models.ApiToken).join(models.ApiToken.owner).options(contains_eager(models.ApiToken.owner))


TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class Resolved:
    """Who a credential belongs to; `stale` says its last-use time should be refreshed (coarsely)."""

    actor: Actor
    user: User
    credential_id: int
    stale: bool
    csrf_token: str | None = None
    digest: str = ""  # of an API token: what a cached resolution checks the presented secret against
    expires_at: datetime | None = None


def resolve_token(
    uow: UnitOfWork, digester: bearer.SecretDigester, presented: str, *, ip: str | None = None
) -> Resolved:
    """The actor behind a bearer token, or Unauthenticated. Malformed tokens never reach the store.

    Read-only, so authentication does not take the write lock; `touch_token` refreshes last use."""
    parsed = bearer.parse(presented, TOKEN_PREFIX)
    if parsed is None:
        raise Unauthenticated("the bearer token is malformed")
    found = uow.session.execute(
        select(models.ApiToken, models.User).join(models.User).where(models.ApiToken.public_id == parsed.public_id)
    ).one_or_none()
    now = uow.clock.now()
    if found is None or not digester.matches(parsed.full, found[0].digest):
        raise Unauthenticated("the bearer token is not valid")
    token, user = found
    if token.revoked_at is not None or as_utc(token.expires_at) <= now or not user.is_active:
        raise Unauthenticated("the bearer token is revoked or expired")
    scopes = frozenset(token.scopes) if token.scopes is not None else None
    owner = User.model_validate(user)
    return Resolved(
        actor=actor_for(owner, origin=Origin.API, ip=ip, scopes=scopes, token_id=token.id),
        user=owner,
        credential_id=token.id,
        stale=token.last_used_at is None or now - as_utc(token.last_used_at) > TOUCH_INTERVAL,
        digest=token.digest,
        expires_at=as_utc(token.expires_at),
    )


def resolve_token_cached(
    tokens: TokenCache[Resolved],
    read: Callable[[], AbstractContextManager[UnitOfWork]],
    digester: bearer.SecretDigester,
    presented: str,
    *,
    now: datetime,
    ip: str | None = None,
) -> Resolved:
    """`resolve_token` through the cache: a unit of work (opened by `read`) only on a miss."""
    hit = cached_token(tokens, digester, presented, now=now, ip=ip)
    if hit is not None:
        return hit
    parsed = bearer.parse(presented, TOKEN_PREFIX)
    assert parsed is not None  # cached_token refused a malformed one
    with read() as uow:
        resolved = resolve_token(uow, digester, presented, ip=ip)
    assert resolved.expires_at is not None
    tokens.keep(parsed.public_id, resolved.digest, resolved.expires_at, resolved.user.id, resolved)
    return resolved


def cached_token(
    tokens: TokenCache[Resolved], digester: bearer.SecretDigester, presented: str, *, now: datetime, ip: str | None
) -> Resolved | None:
    """The token's resolution as cached, without the store; None when it must be read."""
    parsed = bearer.parse(presented, TOKEN_PREFIX)
    if parsed is None:
        raise Unauthenticated("the bearer token is malformed")
    hit = tokens.lookup(parsed, digester, now)
    return None if hit is None else replace(hit, actor=replace(hit.actor, ip=ip), stale=False)


def touch_token(uow: UnitOfWork, token_id: int) -> None:
    uow.session.execute(
        update(models.ApiToken).where(models.ApiToken.id == token_id).values(last_used_at=uow.clock.now())
    )


# --- web sessions ------------------------------------------------------------------------------


def _session_digest(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def start_session(
    uow: UnitOfWork, user: User, *, max_age: timedelta, ip: str | None, user_agent: str | None
) -> tuple[str, str]:
    """A new server-side session; returns (cookie value, CSRF token). Only a digest is stored."""
    cookie_value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.session.add(
        models.WebSession(
            digest=_session_digest(cookie_value),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    audit.record(uow, "session.login", "user", user.username, actor=actor_for(user, origin=Origin.WEB, ip=ip))
    return cookie_value, csrf


def resolve_session(uow: UnitOfWork, cookie_value: str, *, idle: timedelta, ip: str | None = None) -> Resolved:
    """The user of a live session (read-only; expired ones are purged by a background job)."""
    found = uow.session.execute(
        select(models.WebSession, models.User)
        .join(models.User)
        .where(models.WebSession.digest == _session_digest(cookie_value))
    ).one_or_none()
    if found is None:
        raise Unauthenticated("no such session")
    web_session, user_row = found
    now = uow.clock.now()
    last_seen = as_utc(web_session.last_seen_at)
    if as_utc(web_session.expires_at) <= now or now - last_seen > idle or not user_row.is_active:
        raise Unauthenticated("the session has ended")
    user = User.model_validate(user_row)
    return Resolved(
        actor=actor_for(user, origin=Origin.WEB, ip=ip),
        user=user,
        credential_id=web_session.id,
        stale=now - last_seen > timedelta(minutes=1),
        csrf_token=web_session.csrf_token,
    )


def touch_session(uow: UnitOfWork, session_id: int) -> None:
    uow.session.execute(
        update(models.WebSession).where(models.WebSession.id == session_id).values(last_seen_at=uow.clock.now())
    )


def end_session(uow: UnitOfWork, cookie_value: str) -> None:
    uow.session.execute(delete(models.WebSession).where(models.WebSession.digest == _session_digest(cookie_value)))
    audit.record(uow, "session.logout", "user", uow.actor.name)


def purge_expired_sessions(uow: UnitOfWork, *, idle: timedelta) -> int:
    now: datetime = uow.clock.now()
    result = uow.session.execute(
        delete(models.WebSession).where(
            (models.WebSession.expires_at <= now) | (models.WebSession.last_seen_at <= now - idle)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
