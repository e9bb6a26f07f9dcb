"""Catalog events: higher domains (delivery, releases, platform) react to new services."""

from __future__ import annotations

from dataclasses import dataclass

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class ServiceRegistered(DomainEvent):
    service_id: int
    service_key: str
    owner_team: str | None
