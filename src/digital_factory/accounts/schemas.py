"""Public DTOs of the accounts domain, and its vocabulary: roles and the permissions each grants
(one table, documented in docs/accounts.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from digital_factory.core.schemas import FromJson, InputModel, OutputModel


class Role(StrEnum):
    ADMIN = "admin"
    BOARD = "board"
    PRODUCT = "product"
    TEAM = "team"
    PLATFORM = "platform"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    PORTFOLIO_WRITE = "portfolio:write"
    PORTFOLIO_DECIDE = "portfolio:decide"
    PRODUCT_WRITE = "product:write"
    TEAMS_WRITE = "teams:write"
    PLATFORM_WRITE = "platform:write"
    DELIVERY_WRITE = "delivery:write"
    DELIVERY_APPROVE = "delivery:approve"
    RELEASES_WRITE = "releases:write"
    TELEMETRY_WRITE = "telemetry:write"
    AUDIT_READ = "audit:read"
    ACCOUNTS_ADMIN = "accounts:admin"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.BOARD: frozenset({P.READ, P.PORTFOLIO_WRITE, P.PORTFOLIO_DECIDE, P.AUDIT_READ}),
    Role.PRODUCT: frozenset({P.READ, P.PORTFOLIO_WRITE, P.PRODUCT_WRITE, P.RELEASES_WRITE}),
    Role.TEAM: frozenset(
        {P.READ, P.PRODUCT_WRITE, P.DELIVERY_WRITE, P.DELIVERY_APPROVE, P.RELEASES_WRITE, P.TELEMETRY_WRITE}
    ),
    Role.PLATFORM: frozenset(
        {P.READ, P.TEAMS_WRITE, P.PLATFORM_WRITE, P.DELIVERY_WRITE, P.DELIVERY_APPROVE, P.TELEMETRY_WRITE}
    ),
    Role.VIEWER: frozenset({P.READ}),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMIN: "Everything, including users, tokens of others and the audit log.",
    Role.BOARD: "Strategic themes, epics and the portfolio kanban; go / no-go and WIP-limit overrides; audit log.",
    Role.PRODUCT: "Epics, features and stories; hands work to teams; releases features behind flags.",
    Role.TEAM: (
        "Works stories, runs pipelines, approves deployments it did not trigger, toggles flags, sends its "
        "services' business data."
    ),
    Role.PLATFORM: "Teams, golden-path templates, onboarding, the service catalog, pipelines and ingestion.",
    Role.VIEWER: "Reads everything except the audit log; changes nothing.",
}


def permissions_for(role: Role, scopes: frozenset[str] | None = None) -> frozenset[str]:
    """What a principal may do: its role's permissions, narrowed by a token's scopes when it has any."""
    granted = frozenset(str(p) for p in ROLE_PERMISSIONS[role])
    if scopes is None:
        return granted
    return granted & scopes


def valid_scopes() -> frozenset[str]:
    return frozenset(str(p) for p in Permission)


USERNAME_PATTERN = r"^[a-z][a-z0-9._-]{1,63}$"


def normalize_username(typed: str) -> str:
    """A login name as sign-in looks it up. The login throttle keys on exactly this, so no spelling of a
    name (spaces, capitals) gets a fresh allowance of tries."""
    return typed.strip().lower()


class UserCreate(InputModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="Lowercase login name.")
    display_name: str | None = Field(None, max_length=200)
    role: Annotated[Role, FromJson]
    password: str | None = Field(
        None, min_length=1, max_length=1024, description="Omit to have a one-time password generated."
    )


class UserUpdate(InputModel):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    role: Annotated[Role, FromJson] | None = None
    is_active: bool | None = None


class User(OutputModel):
    id: int
    username: str
    display_name: str
    role: Role
    is_active: bool
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None


class CreatedUser(OutputModel):
    user: User
    one_time_password: str | None = Field(
        None, description="Shown once when the password was generated; must be changed at first login."
    )


class TokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] | None = Field(
        None, description="Permissions to narrow the token to; omitted: all of the owner's role."
    )
    expires_in_days: int = Field(90, ge=1, le=366)


class Token(OutputModel):
    id: int
    public_id: str
    name: str
    username: str
    scopes: list[str] | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedToken(OutputModel):
    token: Token
    secret: str = Field(description="The bearer token. Shown once; only its digest is stored.")


class AuditEntry(OutputModel):
    id: int
    at: datetime
    actor_name: str
    actor_user_id: int | None
    token_id: int | None
    origin: str
    ip: str | None
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None


class AuditFilter(InputModel):
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
