"""Releases tables (private to the domain)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Base, Entity, IssuedSecret, ServiceRecord, ServiceRef, child_of

EnvironmentRef = Annotated[int, child_of("catalog_environment")]
FlagRef = Annotated[int, child_of("releases_flag")]


class Versioned:
    """Configuration edited in place: its version (one up per applied change) and its last editor."""

    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(100))


class Flag(Entity):
    """A flag of one service. Its variants are shared by every environment and never change value."""

    __tablename__ = "releases_flag"
    __table_args__ = (UniqueConstraint("service_id", "key"),)

    service_id: Mapped[ServiceRef]
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    flag_type: Mapped[str] = mapped_column(String(10))
    variants: Mapped[dict[str, Any]] = mapped_column(JSON)
    default_variant: Mapped[str] = mapped_column(String(64))
    off_variant: Mapped[str] = mapped_column(String(64))
    feature_key: Mapped[str | None] = mapped_column(String(24), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    archived_at: Mapped[datetime | None]


class FlagState(Versioned, Entity):
    """A flag's configuration in one environment. No row: off, serving the flag's off variant."""

    __tablename__ = "releases_flag_state"
    __table_args__ = (UniqueConstraint("flag_id", "environment_id"),)

    flag_id: Mapped[FlagRef]
    environment_id: Mapped[EnvironmentRef]
    config: Mapped[dict[str, Any]] = mapped_column(JSON)


class Segment(Versioned, Entity):
    """A named, reusable set of contexts in one environment (explicit keys and/or conditions)."""

    __tablename__ = "releases_segment"
    __table_args__ = (UniqueConstraint("environment_id", "key"),)

    service_id: Mapped[ServiceRef]
    environment_id: Mapped[EnvironmentRef]
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class Change(ServiceRecord, Entity):
    """A requested change to a flag or segment in one environment, through approval and schedule."""

    __tablename__ = "releases_change"
    __table_args__ = (Index("ix_releases_change_status_due", "status", "due_at"),)

    key: Mapped[str] = mapped_column(String(24), unique=True)
    environment_id: Mapped[EnvironmentRef]
    environment: Mapped[str] = mapped_column(String(40))
    flag_id: Mapped[FlagRef | None]
    segment_key: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12))
    requested_by_id: Mapped[int | None]
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime | None]
    release_id: Mapped[int | None]
    failure: Mapped[str | None] = mapped_column(Text)


class Release(Entity):
    """A change that altered what customers get: the record insights attribute outcomes to."""

    __tablename__ = "releases_release"
    __table_args__ = (Index("ix_releases_release_service_at", "service_id", "at"),)

    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"))
    environment_id: Mapped[EnvironmentRef]
    flag_id: Mapped[FlagRef]
    service_key: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(40))
    flag_key: Mapped[str] = mapped_column(String(100))
    feature_key: Mapped[str | None] = mapped_column(String(24), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    exposure_before: Mapped[float | None]
    exposure_after: Mapped[float | None]
    requested_by: Mapped[str] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    change_key: Mapped[str | None] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(index=True)


class ClientKey(ServiceRecord, IssuedSecret, Entity):
    """An OFREP client key for one service environment; only its keyed digest is stored."""

    __tablename__ = "releases_client_key"

    environment_id: Mapped[EnvironmentRef]
    environment: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(100))


class Revision(Base):
    """A per-environment counter bumped by every change: server processes compare it to their snapshot."""

    __tablename__ = "releases_revision"

    environment_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_environment.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(BigInteger, default=1)
    changed_at: Mapped[datetime]


class EvaluationCount(Entity):
    """Evaluations per flag, environment, variant and hour, flushed from memory (never per request)."""

    __tablename__ = "releases_evaluation_count"
    __table_args__ = (UniqueConstraint("flag_id", "environment_id", "variant", "hour"),)

    flag_id: Mapped[FlagRef]
    environment_id: Mapped[int] = mapped_column(ForeignKey("catalog_environment.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(64))
    hour: Mapped[datetime]
    count: Mapped[int] = mapped_column(BigInteger, default=0)
