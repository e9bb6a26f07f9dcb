"""What the web UI needs from the composition root, and the signed-in user of a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, cast

from fastapi import Request

from digital_factory.accounts.bearer import SecretDigester
from digital_factory.accounts.schemas import User
from digital_factory.accounts.throttle import LoginThrottle
from digital_factory.core.actor import Actor
from digital_factory.store.uow import Store


class WebRuntime(Protocol):
    store: Store
    digester: SecretDigester
    public_url: str
    session_idle: timedelta
    session_max_age: timedelta
    login_throttle: LoginThrottle


def runtime(request: Request) -> WebRuntime:
    return cast(WebRuntime, request.app.state.runtime)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person on this request."""

    actor: Actor
    user: User
    csrf_token: str
