"""Platform tables (private to the domain)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Entity


class Template(Entity):
    """A golden-path template: a copier template in a git repository, versioned by tags."""

    __tablename__ = "platform_template"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(500))
    builtin: Mapped[bool] = mapped_column(default=False)
    trusted: Mapped[bool] = mapped_column(default=False)
    versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    latest_version: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    refreshed_at: Mapped[datetime]


class Onboarding(Entity):
    """One onboarding: who asked, what it made, each step's outcome. Failed ones are kept too."""

    __tablename__ = "platform_onboarding"

    job_id: Mapped[str] = mapped_column(String(40), unique=True)
    team_key: Mapped[str] = mapped_column(String(64))
    service_key: Mapped[str] = mapped_column(String(64), index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]


class Upgrade(Entity):
    """One template upgrade attempt for one service (`factory template upgrade`)."""

    __tablename__ = "platform_upgrade"

    service_key: Mapped[str] = mapped_column(String(64), index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    from_version: Mapped[str | None] = mapped_column(String(64))
    to_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    branch: Mapped[str | None] = mapped_column(String(200))
    commit: Mapped[str | None] = mapped_column(String(64))
    conflicts: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(index=True)
