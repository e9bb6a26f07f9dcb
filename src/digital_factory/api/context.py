"""The API's request path: the actor behind the bearer token, and the unit of work a route is handed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from digital_factory.accounts import service as accounts
from digital_factory.core.actor import Actor, Origin, system_actor
from digital_factory.core.errors import Unauthenticated
from digital_factory.runtime import Runtime, runtime_of
from digital_factory.store.uow import UnitOfWork

T = TypeVar("T")


def runtime(request: Request) -> Runtime:
    return runtime_of(request)


CLIENT_HEADER = "x-factory-client"


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_actor(request: Request) -> Actor:
    """The actor behind `Authorization: Bearer <token>`; 401 problem JSON otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated("send an API token as `Authorization: Bearer <token>`")
    rt = runtime(request)
    resolved = accounts.resolve_token_cached(
        rt.tokens,
        lambda: rt.store.unit_of_work(system_actor("auth"), write=False),
        rt.digester,
        credential.strip(),
        now=rt.store.clock.now(),
        ip=client_ip(request),
    )
    if resolved.stale:
        with rt.store.unit_of_work(resolved.actor) as uow:
            accounts.touch_token(uow, resolved.credential_id)
    actor = resolved.actor
    if request.headers.get(CLIENT_HEADER, "").lower() == "cli":
        # The `factory` command says so; only the audit log's "door" depends on it, never a permission.
        actor = replace(actor, origin=Origin.CLI)
    request.state.actor = actor  # for the audit entry of a refusal
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def read_unit(request: Request, actor: CurrentActor) -> Iterator[UnitOfWork]:
    """A read-only unit of work for the caller; rolled back when the route returns."""
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        yield uow


def write_unit(request: Request, actor: CurrentActor) -> Iterator[UnitOfWork]:
    """A write unit of work for the caller; committed when the route returns, before the response is sent
    (scope "function"), so a failed commit is an error answer, never a 2xx for something not stored."""
    with runtime(request).store.unit_of_work(actor) as uow:
        yield uow


Reading = Annotated[UnitOfWork, Depends(read_unit, scope="function")]
Writing = Annotated[UnitOfWork, Depends(write_unit, scope="function")]


def in_write_unit(request: Request, actor: Actor, work: Callable[[UnitOfWork], T]) -> T:
    """`work` in a write unit of work of its own: committed when it returns, rolled back when it raises. For
    routes that cannot take a Writing dependency (async ones reading the whole body first, moves answering a
    refusal after the rollback)."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return work(uow)
