"""Integration tables (private to the domain): hooks, what they map to, and the deliveries they received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Entity, ServiceRecord, child_of


class Hook(Entity):
    """A webhook endpoint one team gives GitHub, GitLab or a CDEvents producer; its secret is encrypted."""

    __tablename__ = "integrations_hook"

    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int] = child_of("teams_team")
    name: Mapped[str] = mapped_column(String(100))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    last_delivery_at: Mapped[datetime | None]
    mapped_count: Mapped[int] = mapped_column(default=0)
    ignored_count: Mapped[int] = mapped_column(default=0)
    unmapped_count: Mapped[int] = mapped_column(default=0)


class Mapping(ServiceRecord, Entity):
    """An outside name (repository full name, GitLab project path, CDEvents subject or source) -> a service."""

    __tablename__ = "integrations_mapping"
    __table_args__ = (UniqueConstraint("hook_id", "external"),)

    hook_id: Mapped[int] = child_of("integrations_hook")
    external: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class Delivery(Entity):
    """One webhook delivery a hook accepted (signature checked), stored once per delivery id."""

    __tablename__ = "integrations_delivery"
    __table_args__ = (
        UniqueConstraint("hook_id", "delivery_id"),
        Index("ix_integrations_delivery_hook_received", "hook_id", "received_at"),
    )

    hook_id: Mapped[int] = mapped_column(ForeignKey("integrations_hook.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
