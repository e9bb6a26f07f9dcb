"""Accounts tables (private to the domain)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from digital_factory.store.base import Entity, IssuedSecret, child_of

UserRef = Annotated[int, child_of("accounts_user")]


class User(Entity):
    __tablename__ = "accounts_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class ApiToken(IssuedSecret, Entity):
    __tablename__ = "accounts_api_token"

    user_id: Mapped[UserRef]
    scopes: Mapped[list[str] | None] = mapped_column(JSON)
    expires_at: Mapped[datetime]
    # loaded with the token where it is shown (`with_owner`), never lazily
    owner: Mapped[User] = relationship(lazy="raise")

    @property
    def username(self) -> str:
        """The owner's login name, as the `Token` DTO shows it."""
        return self.owner.username


class WebSession(Entity):
    __tablename__ = "accounts_web_session"

    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UserRef]
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class AuditEvent(Entity):
    """Append-only: UPDATE and DELETE are refused by database triggers (see the migration)."""

    __tablename__ = "accounts_audit_event"
    __table_args__ = (Index("ix_accounts_audit_event_object", "object_type", "object_id"),)

    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    token_id: Mapped[int | None]
    origin: Mapped[str] = mapped_column(String(10))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)
