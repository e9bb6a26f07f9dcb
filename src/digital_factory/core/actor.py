"""Who is acting, and through which door. Every state change is attributed to one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Origin(StrEnum):
    API = "api"
    WEB = "web"
    CLI = "cli"  # the `factory` command, through the API with a token, or on the store directly
    GIT = "git"  # a push or fetch over smart HTTP
    DEMO = "demo"  # `factory demo` seeding its story
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    origin: Origin = Origin.SYSTEM
    token_id: int | None = None
    ip: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def system_actor(name: str = "system", permissions: frozenset[str] | None = None) -> Actor:
    """The product itself acting (first-run setup, background jobs, CLI on the store)."""
    return Actor(
        user_id=None,
        name=name,
        role="admin",
        permissions=permissions if permissions is not None else frozenset({"*"}),
        origin=Origin.SYSTEM,
    )
