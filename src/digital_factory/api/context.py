"""The API's request path: the actor behind the bearer token, and the unit of work a route is handed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import contextmanager_in_threadpool, run_in_threadpool

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


async def current_actor(request: Request) -> Actor:
    """The actor behind `Authorization: Bearer <token>`; 401 problem JSON otherwise. A token checked within
    the last second is answered from memory, without a worker thread."""
    rt, presented = runtime(request), _presented(request)
    now, ip = rt.store.clock.now(), client_ip(request)
    resolved = accounts.cached_token(rt.tokens, rt.digester, presented, now=now, ip=ip)
    if resolved is None:
        resolved = await _resolve_once(request, rt, presented, now, ip)
    return _caller(request, resolved)


async def _resolve_once(
    request: Request, rt: Runtime, presented: str, now: datetime, ip: str | None
) -> accounts.Resolved:
    """One store read per credential at a time: requests presenting a token whose check is no longer cached
    wait for the read already under way (otherwise every client of a busy token reads the store at once,
    each time the cached check expires, and the pool opens connections for them)."""
    reads: dict[str, asyncio.Future[accounts.Resolved]] = request.app.state.__dict__.setdefault("token_reads", {})
    read = reads.get(presented)
    if read is None:
        read = reads[presented] = asyncio.ensure_future(run_in_threadpool(_resolve, rt, presented, now, ip))
        read.add_done_callback(lambda _: reads.pop(presented, None))
    resolved = await asyncio.shield(read)
    return replace(resolved, actor=replace(resolved.actor, ip=ip))


def current_actor_here(request: Request) -> Actor:
    """`current_actor` for code already in a worker thread."""
    rt = runtime(request)
    return _caller(request, _resolve(rt, _presented(request), rt.store.clock.now(), client_ip(request)))


def bearer_credential(authorization: str) -> str | None:
    """What `Authorization: Bearer <credential>` carries; None for any other header (or none)."""
    scheme, _, credential = authorization.partition(" ")
    return (credential.strip() or None) if scheme.lower() == "bearer" else None


def _presented(request: Request) -> str:
    credential = bearer_credential(request.headers.get("authorization", ""))
    if credential is None:
        raise Unauthenticated("send an API token as `Authorization: Bearer <token>`")
    return credential


def _caller(request: Request, resolved: accounts.Resolved) -> Actor:
    actor = resolved.actor
    if request.headers.get(CLIENT_HEADER, "").lower() == "cli":
        # The `factory` command says so; only the audit log's "door" depends on it, never a permission.
        actor = replace(actor, origin=Origin.CLI)
    request.state.actor = actor  # for the audit entry of a refusal
    return actor


def _resolve(rt: Runtime, presented: str, now: datetime, ip: str | None) -> accounts.Resolved:
    resolved = accounts.resolve_token_cached(
        rt.tokens,
        lambda: rt.store.unit_of_work(system_actor("auth"), write=False),
        rt.digester,
        presented,
        now=now,
        ip=ip,
    )
    if resolved.stale:
        with rt.store.unit_of_work(resolved.actor) as uow:
            accounts.touch_token(uow, resolved.credential_id)
    return resolved


CurrentActor = Annotated[Actor, Depends(current_actor)]


# How many requests may hold a unit of work at once: below the worker threads (anyio's 40) and the
# PostgreSQL pool (30). FastAPI enters a dependency, runs a sync route and leaves the dependency in separate
# worker threads; without this gate, requests waiting for the store (a pooled connection, SQLite's one write
# lock) could take every worker thread while the request holding it waits for one to run its route: a
# deadlock until the store's timeout (seen: 64 concurrent writes, none answered in 5 s).
HELD_UNITS = 24


class _Gates:
    """Admission to a unit of work, waited for without holding a thread."""

    def __init__(self, one_writer: bool) -> None:
        self.units = anyio.Semaphore(HELD_UNITS)
        self.writes = anyio.Semaphore(1) if one_writer else None

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[None]:
        """Admitted to a write unit of work (on SQLite, writers queue here, one at a time)."""
        async with AsyncExitStack() as admitted:
            if self.writes is not None:
                await admitted.enter_async_context(self.writes)
            await admitted.enter_async_context(self.units)
            yield


def unit_gates(request: Request) -> _Gates:
    gates: _Gates | None = getattr(request.app.state, "unit_gates", None)
    if gates is None:
        gates = request.app.state.unit_gates = _Gates(runtime(request).store.one_writer)
    return gates


async def read_unit(request: Request, actor: CurrentActor) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work for the caller; rolled back when the route returns."""
    unit = runtime(request).store.unit_of_work(actor, write=False)
    async with unit_gates(request).units, contextmanager_in_threadpool(unit) as uow:
        yield uow


async def write_unit(request: Request, actor: CurrentActor) -> AsyncIterator[UnitOfWork]:
    """A write unit of work for the caller; committed when the route returns, before the response is sent
    (scope "function"), so a failed commit is an error answer, never a 2xx for something not stored."""
    unit = runtime(request).store.unit_of_work(actor)
    async with unit_gates(request).writer(), contextmanager_in_threadpool(unit) as uow:
        yield uow


Reading = Annotated[UnitOfWork, Depends(read_unit, scope="function")]
Writing = Annotated[UnitOfWork, Depends(write_unit, scope="function")]


def in_write_unit(request: Request, actor: Actor, work: Callable[[UnitOfWork], T]) -> T:
    """`work` in a write unit of work of its own: committed when it returns, rolled back when it raises. For
    routes that cannot take a Writing dependency (async ones reading the whole body first, moves answering a
    refusal after the rollback)."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return work(uow)
