"""The unit of work: one transaction, the acting user, the clock, and events published after commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digital_factory.core.actor import Actor
from digital_factory.core.clock import Clock, SystemClock
from digital_factory.core.events import DomainEvent, EventBus
from digital_factory.store.engine import SQLITE_BUSY_TIMEOUT_MS, WRITE_OPTION


@dataclass
class UnitOfWork:
    session: Session
    actor: Actor
    clock: Clock
    pending_events: list[DomainEvent] = field(default_factory=list)

    def emit(self, event: DomainEvent) -> None:
        self.pending_events.append(event)


class _OneWriter:
    """SQLite takes one writer at a time. This process's writers queue here rather than in SQLite's busy
    handler, which polls with growing sleeps: under 64 concurrent writes it starved them all (none finished
    in 3 s, then "database is locked"). Other processes still meet the busy timeout.

    A plain lock, not an RLock: a request's unit of work may begin in one worker thread and end in another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise TimeoutError(f"the store stayed busy with other writes for {SQLITE_BUSY_TIMEOUT_MS} ms")

    def __exit__(self, *_: object) -> None:
        self._lock.release()


class Store:
    """Opens units of work. Services never open transactions; their caller does, through this."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None, bus: EventBus | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.bus = bus or EventBus()
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        self.one_writer = engine.dialect.name == "sqlite"
        self._writers = _OneWriter() if self.one_writer else None

    @contextmanager
    def unit_of_work(self, actor: Actor, *, write: bool = True) -> Iterator[UnitOfWork]:
        maker = self._write if write else self._read
        with self._writers if write and self._writers else nullcontext(), maker() as session:
            uow = UnitOfWork(session=session, actor=actor, clock=self.clock)
            try:
                yield uow
                if write:
                    session.commit()
                else:
                    session.rollback()
            except BaseException:
                session.rollback()
                raise
        self.bus.publish_all(uow.pending_events)

    def run(self, actor: Actor, work: Callable[[UnitOfWork], object]) -> object:
        with self.unit_of_work(actor) as uow:
            return work(uow)

    def dispose(self) -> None:
        self.engine.dispose()
