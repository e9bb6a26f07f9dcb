"""Repos tables (private to the domain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Entity, child_of


class Repository(Entity):
    __tablename__ = "repos_repository"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(20), default="hosted")
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams_team.id", ondelete="SET NULL"), index=True)
    service_key: Mapped[str | None] = mapped_column(String(64), index=True)
    default_branch: Mapped[str] = mapped_column(String(100), default="main")
    created_at: Mapped[datetime]


class Push(Entity):
    """One ref update received by a repository (a push of three branches is three rows)."""

    __tablename__ = "repos_push"

    repository_id: Mapped[int] = child_of("repos_repository")
    ref: Mapped[str] = mapped_column(String(255))
    before: Mapped[str] = mapped_column(String(64))
    after: Mapped[str] = mapped_column(String(64))
    pusher: Mapped[str | None] = mapped_column(String(100))
    pushed_at: Mapped[datetime] = mapped_column(index=True)
    # Set, with a conditional update, by whoever hands the push to delivery (the push subscriber or the
    # reaper): a push still unset after a crash is picked up again, and never started twice.
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
