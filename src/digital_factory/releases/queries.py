"""Reads behind serving: the per-environment revision, everything a snapshot compiles, client keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digital_factory.releases import changes, models


@dataclass(frozen=True)
class RevisionMark:
    """Where an environment's flags stand; equal marks mean equal flag sets."""

    revision: int
    changed_at: datetime | None

    @property
    def token(self) -> str:
        stamp = self.changed_at.timestamp() if self.changed_at else 0
        return f"{self.revision}.{stamp:.6f}"


@dataclass(frozen=True)
class FlagSource:
    id: int
    key: str
    flag_type: str
    variants: dict[str, Any]
    config: dict[str, Any]
    version: int
    feature_key: str | None


@dataclass(frozen=True)
class EnvironmentSource:
    environment_id: int
    mark: RevisionMark
    flags: list[FlagSource] = field(default_factory=list)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyRecord:
    id: int
    public_id: str
    digest: str
    service_id: int
    environment_id: int
    revoked: bool
    last_used_at: datetime | None


def revision_mark(session: Session, environment_id: int) -> RevisionMark:
    row = session.execute(
        select(models.Revision.revision, models.Revision.changed_at).where(
            models.Revision.environment_id == environment_id
        )
    ).one_or_none()
    return RevisionMark(0, None) if row is None else RevisionMark(int(row[0]), row[1])


def environment_source(session: Session, environment_id: int) -> EnvironmentSource:
    """Everything one environment's snapshot compiles, in four indexed queries."""
    revision = session.scalar(select(models.Revision).where(models.Revision.environment_id == environment_id))
    if revision is None:
        return EnvironmentSource(environment_id, RevisionMark(0, None))
    mark = RevisionMark(revision.revision, revision.changed_at)
    flags = session.scalars(
        select(models.Flag)
        .where(models.Flag.service_id == revision.service_id, models.Flag.archived_at.is_(None))
        .order_by(models.Flag.key)
    ).all()
    states = {
        row.flag_id: row
        for row in session.scalars(select(models.FlagState).where(models.FlagState.environment_id == environment_id))
    }
    segments = {
        row.key: row.definition
        for row in session.scalars(select(models.Segment).where(models.Segment.environment_id == environment_id))
    }
    sources = []
    for flag in flags:
        state = states.get(flag.id)
        config = state.config if state else changes.default_config(flag.default_variant, flag.off_variant)
        sources.append(
            FlagSource(
                id=flag.id,
                key=flag.key,
                flag_type=flag.flag_type,
                variants=dict(flag.variants),
                config=config,
                version=state.version if state else 0,
                feature_key=flag.feature_key,
            )
        )
    return EnvironmentSource(environment_id, mark, sources, segments)


def key_record(session: Session, public_id: str) -> KeyRecord | None:
    row = session.scalar(select(models.ClientKey).where(models.ClientKey.public_id == public_id))
    if row is None:
        return None
    return KeyRecord(
        id=row.id,
        public_id=row.public_id,
        digest=row.digest,
        service_id=row.service_id,
        environment_id=row.environment_id,
        revoked=row.revoked_at is not None,
        last_used_at=row.last_used_at,
    )
