"""Releases events: insights attribute outcomes to releases; serving caches drop what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class FlagReleased(DomainEvent):
    """A change altered what customers get from a flag in an environment (published after commit)."""

    release_id: int
    service_key: str
    environment: str
    flag_key: str
    feature_key: str | None
    kind: str
    summary: str
    exposure_before: float | None
    exposure_after: float | None
    at: datetime


@dataclass(frozen=True)
class FlagsChanged(DomainEvent):
    """Flags or segments of these environments changed: compiled snapshots of them are stale."""

    environment_ids: tuple[int, ...]


@dataclass(frozen=True)
class ClientKeyRevoked(DomainEvent):
    public_id: str
