"""Telemetry tables (private to the domain): series, their points and rollups, log lines, feedback.

Points are written in batches through Core inserts (never an ORM object per point); the classes here give the
tables their shape, the migration and the drift check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store.base import Base, Entity

NO_ENVIRONMENT = ""
"""The environment of a series whose sender named none (a column value, so the unique key holds)."""


class OfServiceEnvironment:
    """What a service sent from one of its environments; the tables' composite indexes lead with the service."""

    # right after the id, as the migrations create them
    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"), sort_order=-1)
    environment: Mapped[str] = mapped_column(String(40), sort_order=-1)


class Series(Entity, OfServiceEnvironment):
    """A metric name with its attributes, of one service and environment; its cumulative state, if any."""

    __tablename__ = "telemetry_series"
    __table_args__ = (UniqueConstraint("service_id", "environment", "metric", "attributes_key"),)

    metric: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    unit: Mapped[str] = mapped_column(String(64), default="")
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    attributes_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_time_ns: Mapped[int | None] = mapped_column(BigInteger)
    # The last cumulative value seen, so the next one can be stored as an increment (a new start is a reset).
    cumulative_start_ns: Mapped[int | None] = mapped_column(BigInteger)
    cumulative_value: Mapped[float | None] = mapped_column(Float)
    cumulative_buckets: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Point(Base):
    """One point: a gauge's sample, a sum's increment, a histogram's count increment with its buckets."""

    __tablename__ = "telemetry_point"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("telemetry_series.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    time_ns: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    value: Mapped[float] = mapped_column(Float)
    # SQL NULL for the points that have none (most): no JSON encoding per point on the write path
    buckets: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class Rollup(Base):
    """A series' points summed up per minute (60), hour (3600) or day (86400): what long windows read."""

    __tablename__ = "telemetry_rollup"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("telemetry_series.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    resolution: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    start_ns: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    last_ns: Mapped[int] = mapped_column(BigInteger)
    last: Mapped[float] = mapped_column(Float)


class LogRecord(Entity, OfServiceEnvironment):
    """A log line a service sent: kept for a while so a team sees its latest messages first."""

    __tablename__ = "telemetry_log"
    __table_args__ = (
        UniqueConstraint("service_id", "digest"),
        Index("ix_telemetry_log_service_time", "service_id", "time_ns"),
    )

    time_ns: Mapped[int] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(8))
    severity_rank: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))


class Feedback(Entity, OfServiceEnvironment):
    """A customer's free-text feedback beside a satisfaction score (the score itself is a point)."""

    __tablename__ = "telemetry_feedback"
    __table_args__ = (Index("ix_telemetry_feedback_service_time", "service_id", "time_ns"),)

    time_ns: Mapped[int] = mapped_column(BigInteger)
    metric: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, str]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class IdempotencyKey(Entity):
    """A business-data request already taken: the same key again answers the first outcome."""

    __tablename__ = "telemetry_idempotency"
    __table_args__ = (UniqueConstraint("service_id", "key"),)

    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_digest: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


# what metric queries read (a write to any of them can change an answer)
METRIC_TABLES = tuple(table.__tablename__ for table in (Series, Point, Rollup))
