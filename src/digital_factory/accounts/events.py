"""Accounts events: caches of resolved credentials drop what changed (published after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class TokenRevoked(DomainEvent):
    public_id: str


@dataclass(frozen=True)
class UserChanged(DomainEvent):
    """A user's role, activity or password changed: what their credentials allow may have changed."""

    user_id: int
