"""Reads answered from what this process keeps (`store.reads`): a list read is rendered once per topic
revision and query, and a repeat of it is answered before the framework's routing, from memory.

Only for reads whose answer depends on the query and the caller's permissions alone, never on who the caller
is: the permissions are part of the key, so a kept answer is only given to a caller who may read it. The
caller is authenticated from the token cache (`accounts.cached_token`: revocations within a second); a token
not in it goes the ordinary way, which reads the store and fills the cache."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from fastapi import Request, Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from digital_factory.accounts import service as accounts
from digital_factory.api.context import bearer_credential, unit_gates
from digital_factory.core.actor import Actor
from digital_factory.core.errors import Unauthenticated
from digital_factory.runtime import Runtime, runtime_of
from digital_factory.store.uow import UnitOfWork

T = TypeVar("T")

# path (under the API's mount) -> the topic its answers are kept under
_KEPT_PATHS: dict[str, str] = {}


def kept_path(path: str, topic: str) -> str:
    """Declare that the read at `path` keeps its answers under `topic`; returns `path` (for the route)."""
    _KEPT_PATHS[path] = topic
    return path


async def kept_answer(
    request: Request, actor: Actor, read: Callable[[UnitOfWork], T], adapter: TypeAdapter[T]
) -> Response:
    """`read`'s answer as JSON: kept, or read in a unit of work of its own and then kept."""
    store = runtime_of(request).store
    path = request.scope["route"].path
    topic, key = _KEPT_PATHS[path], _key(path, request.scope, actor)
    body = store.reads.get(topic, key)
    if not isinstance(body, bytes):

        def load() -> bytes:
            with store.unit_of_work(actor, write=False) as uow:
                render = lambda: adapter.dump_json(read(uow), by_alias=True)  # noqa: E731
                return store.reads.load(uow.session, topic, key, render)

        async with unit_gates(request).units:
            body = await run_in_threadpool(load)
    return Response(body, media_type="application/json")


def _key(path: str, scope: Scope, actor: Actor) -> Hashable:
    """A kept answer's key: the read (its path under the API's mount), its query, the caller's permissions."""
    return (path, scope["query_string"], actor.permissions)


class KeptAnswers:
    """For the app's `KeptAnswerMiddleware`: the kept answer to a GET request, or None to route it."""

    def __init__(self, runtime: Runtime, prefix: str) -> None:
        self.runtime, self.prefix = runtime, prefix

    def __call__(self, scope: Scope) -> bytes | None:
        full: str = scope["path"]
        path = full[len(self.prefix) :] if full.startswith(self.prefix) else None
        topic = _KEPT_PATHS.get(path) if path is not None else None
        if path is None or topic is None or scope["method"] != "GET":
            return None
        actor = self._caller(scope)
        if actor is None:
            return None
        kept = self.runtime.store.reads.get(topic, _key(path, scope, actor))
        return kept if isinstance(kept, bytes) else None

    def _caller(self, scope: Scope) -> Actor | None:
        """The caller as the token cache knows them (the address is left out: a kept answer does not use it)."""
        header = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
        credential = bearer_credential(header.decode("latin-1"))
        if credential is None:
            return None
        rt = self.runtime
        try:
            resolved = accounts.cached_token(rt.tokens, rt.digester, credential, now=rt.store.clock.now(), ip=None)
        except Unauthenticated:
            return None  # the route answers it
        return None if resolved is None else resolved.actor
