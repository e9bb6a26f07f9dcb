"""Integrations events: a delivery was stored (higher layers and the web page may follow it)."""

from __future__ import annotations

from dataclasses import dataclass

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class DeliveryReceived(DomainEvent):
    hook_public_id: str
    event: str
    outcome: str
