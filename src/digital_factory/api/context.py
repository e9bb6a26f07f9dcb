"""What the API needs from the composition root, and the per-request actor."""

from __future__ import annotations

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from digital_factory.accounts import service as accounts
from digital_factory.accounts.bearer import SecretDigester
from digital_factory.core.actor import Actor, system_actor
from digital_factory.core.errors import Unauthenticated
from digital_factory.store.uow import Store


class ApiRuntime(Protocol):
    store: Store
    digester: SecretDigester


def runtime(request: Request) -> ApiRuntime:
    return cast(ApiRuntime, request.app.state.runtime)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_actor(request: Request) -> Actor:
    """The actor behind `Authorization: Bearer <token>`; 401 problem JSON otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated("send an API token as `Authorization: Bearer <token>`")
    rt = runtime(request)
    with rt.store.unit_of_work(system_actor("auth"), write=False) as uow:
        resolved = accounts.resolve_token(uow, rt.digester, credential.strip(), ip=client_ip(request))
    if resolved.stale:
        with rt.store.unit_of_work(resolved.actor) as uow:
            accounts.touch_token(uow, resolved.credential_id)
    return resolved.actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
