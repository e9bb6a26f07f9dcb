"""The one place that decides whether an actor may do something. Deny by default."""

from __future__ import annotations

from digital_factory.accounts.schemas import Permission
from digital_factory.core.actor import Actor
from digital_factory.core.errors import PermissionDenied

ANY = "*"


def allowed(actor: Actor, permission: Permission) -> bool:
    return ANY in actor.permissions or str(permission) in actor.permissions


def require(actor: Actor, permission: Permission) -> None:
    if not allowed(actor, permission):
        raise PermissionDenied(f"{actor.name} ({actor.role}) lacks the permission {permission}")
