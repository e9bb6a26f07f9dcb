"""Writes of one kind that many requests send at once, written together (group commit).

Every request that arrives while a group is being written joins the next group; a group is one unit of work
(one transaction, one commit) per caller in it. A request is answered only after its group committed, so an
answer of success always means stored. When a group fails, each of its writes is done again in a unit of its
own, so every request gets its own answer: one bad request never fails another."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from digital_factory.api.context import runtime, unit_gates
from digital_factory.core.actor import Actor
from digital_factory.store.uow import Store, UnitOfWork

T = TypeVar("T")
R = TypeVar("R")

WriteMany = Callable[[UnitOfWork, Sequence[T]], Sequence[R]]
MOST_IN_A_GROUP = 128


@dataclass(frozen=True)
class _Waiting(Generic[T, R]):
    actor: Actor
    item: T
    answer: asyncio.Future[R]


class GroupedWrites(Generic[T, R]):
    """`write_many(uow, items)` for the items of the requests waiting, a group at a time."""

    def __init__(self, write_many: WriteMany[T, R], *, most: int = MOST_IN_A_GROUP) -> None:
        self._write_many, self._most = write_many, most
        self._waiting: list[_Waiting[T, R]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, request: Request, actor: Actor, item: T) -> R:
        """`item` written by `actor`, once its group has committed: what `write_many` gave for it."""
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(actor, item, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(request))
        return await answer

    async def _drain(self, request: Request) -> None:
        store, gates = runtime(request).store, unit_gates(request)
        group: list[_Waiting[T, R]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                async with gates.writer():
                    outcomes = await run_in_threadpool(self._write_group, store, group)
                for waiting, outcome in zip(group, outcomes, strict=True):
                    _deliver(waiting.answer, outcome)
        except BaseException:  # cancelled (the server stopping): nobody is left waiting for ever
            for waiting in group + self._waiting:
                waiting.answer.cancel()
            self._waiting = []
            raise

    def _write_group(self, store: Store, group: list[_Waiting[T, R]]) -> list[Any]:
        """Each waiting write's result or exception, in order: a unit of work per caller."""
        outcomes: list[Any] = [None] * len(group)
        by_actor: dict[Actor, list[int]] = {}
        for index, waiting in enumerate(group):
            by_actor.setdefault(waiting.actor, []).append(index)
        for actor, indexes in by_actor.items():
            items = [group[i].item for i in indexes]
            for index, outcome in zip(indexes, self._write_together(store, actor, items), strict=True):
                outcomes[index] = outcome
        return outcomes

    def _write_together(self, store: Store, actor: Actor, items: list[T]) -> list[Any]:
        try:
            with store.unit_of_work(actor) as uow:
                return list(self._write_many(uow, items))
        except Exception as failure:
            if len(items) == 1:
                return [failure]
        return [self._write_together(store, actor, [item])[0] for item in items]


def _deliver(answer: asyncio.Future[Any], outcome: Any) -> None:
    if answer.done():  # the request is gone (its client disconnected)
        return
    if isinstance(outcome, BaseException):
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)


def grouped_writes(request: Request, write_many: WriteMany[T, R]) -> GroupedWrites[T, R]:
    """The app's grouped writes of `write_many`."""
    groups: dict[Any, Any] = request.app.state.__dict__.setdefault("grouped_writes", {})
    if write_many not in groups:
        groups[write_many] = GroupedWrites(write_many)
    found: GroupedWrites[T, R] = groups[write_many]
    return found
