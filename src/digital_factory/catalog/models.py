"""Catalog tables (private to the domain)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from digital_factory.store import revisions
from digital_factory.store.base import Base, Entity, IssuedSecret, ServiceRef


class Service(Entity):
    __tablename__ = "catalog_service"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams_team.id", ondelete="SET NULL"), index=True)
    repository_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    value_stream_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_value_stream.id", ondelete="SET NULL"), index=True
    )


class Environment(Entity):
    """A stage a service is deployed to, in promotion order, with its release policy."""

    __tablename__ = "catalog_environment"
    __table_args__ = (UniqueConstraint("service_id", "name"),)

    service_id: Mapped[ServiceRef]
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    approval_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # who besides the owning team's members may be the second person: usernames and `team:<key>` entries
    approvers: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class ValueStream(Entity):
    """A stream of value to customers (e.g. a product line); services are grouped under one."""

    __tablename__ = "catalog_value_stream"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Dependency(Entity):
    """`service` depends on (calls, reads from, needs) `depends_on`."""

    __tablename__ = "catalog_dependency"
    __table_args__ = (
        UniqueConstraint("service_id", "depends_on_id"),
        CheckConstraint("service_id <> depends_on_id", name="not_self"),
    )

    service_id: Mapped[ServiceRef]
    depends_on_id: Mapped[ServiceRef]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


# --- provenance, ingestion keys and the work a service serves (platform) ----------------------


class ServiceTemplate(Base):
    """The golden-path template a service was made from, and the version it is on."""

    __tablename__ = "catalog_service_template"

    service_id: Mapped[int] = mapped_column(ForeignKey("catalog_service.id", ondelete="CASCADE"), primary_key=True)
    template: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class IngestionKey(IssuedSecret, Entity):
    """A bearer secret (`dfik_...`) that authenticates one service's telemetry; only its digest is kept."""

    __tablename__ = "catalog_ingestion_key"

    service_id: Mapped[ServiceRef]
    accepted_points: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rejected_points: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ServiceWork(Entity):
    """A feature or epic (by key, e.g. FEAT-12, EPIC-3) that a service serves."""

    __tablename__ = "catalog_service_work"
    __table_args__ = (UniqueConstraint("service_id", "work_key"),)

    service_id: Mapped[ServiceRef]
    kind: Mapped[str] = mapped_column(String(10))
    work_key: Mapped[str] = mapped_column(String(24), index=True)
    linked_at: Mapped[datetime]


# Reads that server processes keep (`store.reads`) under this topic are read again once a catalog or a teams
# table (owners, team types) is written.
TOPIC = "catalog"
revisions.watch(TOPIC, prefixes=["catalog_", "teams_"])
