"""The web UI's request path: the signed-in user, the unit of work a page or form runs in, and the one
policy for a refused form."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission, User
from digital_factory.accounts.service import allowed
from digital_factory.core import errors
from digital_factory.core.actor import Actor, Origin
from digital_factory.runtime import Runtime, runtime_of
from digital_factory.store.uow import UnitOfWork

T = TypeVar("T")

STATUS: dict[type[errors.DomainError], int] = {
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.ValidationFailed: 422,
    errors.PermissionDenied: 403,
    errors.RateLimited: 429,
    errors.Unauthenticated: 401,
}


def runtime(request: Request) -> Runtime:
    return runtime_of(request)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person on this request."""

    actor: Actor
    user: User
    csrf_token: str


def read(request: Request, viewer: Viewer, work: Callable[[UnitOfWork], T]) -> T:
    """Run `work` in a read-only unit of work as the signed-in person."""
    with runtime(request).store.unit_of_work(viewer.actor, write=False) as uow:
        return work(uow)


def kept(
    request: Request, uow: UnitOfWork, topic: str, key: Hashable, work: Callable[[], T], *, max_age: float = math.inf
) -> T:
    """`work`'s result as this process keeps it (`store.reads`) for callers with the same permissions, read
    again (in `uow`) once `topic` moves or after `max_age` seconds. Only for results a page reads, never
    changes, and that depend on the caller's permissions alone."""
    key = (key, uow.actor.permissions)
    return runtime(request).store.reads.load(uow.session, topic, key, work, max_age=max_age)


def write(request: Request, viewer: Viewer, work: Callable[[UnitOfWork], T]) -> T:
    """Run `work` in a write unit of work as the signed-in person; committed when it returns."""
    with runtime(request).store.unit_of_work(viewer.actor) as uow:
        return work(uow)


def can(viewer: Viewer, permission: Permission) -> bool:
    return allowed(viewer.actor, permission)


def status_for(exc: errors.DomainError) -> int:
    """The HTTP status of a refused request (a form re-rendered with the reason uses it too)."""
    return next((status for cls, status in STATUS.items() if isinstance(exc, cls)), 400)


@dataclass(frozen=True)
class Refusal:
    """Why a form was refused, for re-rendering the page it came from: `status` and the `message` to show."""

    status: int
    message: str


def refusal(exc: errors.DomainError, *, prefix: str = "") -> Refusal:
    """The one policy for a refused form: the domain's own words (each field problem named) and the status
    the error maps to everywhere else. What the person cannot fix on the page (not signed in, not allowed)
    is raised again, to the sign-in redirect or the 403 page."""
    if isinstance(exc, errors.Unauthenticated | errors.PermissionDenied):
        raise exc
    message = exc.detail
    if isinstance(exc, errors.ValidationFailed) and exc.problems:
        message = "; ".join(f"{p.field}: {p.reason}" if p.field else p.reason for p in exc.problems)
    return Refusal(status=status_for(exc), message=f"{prefix}{message}")


def field_problems(exc: errors.ValidationFailed) -> dict[str, str]:
    """What is wrong with each field, for a page that says it next to the field ("" for the whole form)."""
    return {p.field or "": p.reason for p in exc.problems} or {"": exc.detail}


REFUSALS = (errors.PermissionDenied, errors.RateLimited)


def record_refused(request: Request, exc: errors.DomainError) -> None:
    """Audit a refusal leaving a page or form: who (if signed in), the route, why (as the API does)."""
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', None) or request.url.path}"
    actor = getattr(request.state, "actor", None)
    ip = request.client.host if request.client else None
    accounts.record_refusal(
        runtime(request).store,
        actor,
        action=action,
        target=request.url.path,
        reason=exc.detail,
        origin=Origin.WEB,
        ip=ip,
    )
