"""Public DTOs of the accounts domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from digital_factory.accounts.roles import Role
from digital_factory.core.schemas import FromJson, InputModel, OutputModel

USERNAME_PATTERN = r"^[a-z][a-z0-9._-]{1,63}$"


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
