"""The unit of work: one transaction, the acting user, the clock, and events published after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digital_factory.core.actor import Actor
from digital_factory.core.clock import Clock, SystemClock
from digital_factory.core.errors import Conflict
from digital_factory.core.events import DomainEvent, EventBus
from digital_factory.store import revisions
from digital_factory.store.cached import ReadCache
from digital_factory.store.engine import WRITE_OPTION

# A use-case checks that a key is free (or a row still there) before it writes; another transaction may
# take the key (or delete the row) between the check and the commit. The store's constraints catch it.
RACED = "another change to the same data was stored at the same time; try again"
_UNIQUE_OR_FOREIGN_KEY = ("23505", "23503")  # PostgreSQL's SQLSTATEs


def _raced(exc: IntegrityError) -> bool:
    """A unique key taken or a referenced row removed meanwhile (not a row the code built wrong)."""
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return state in _UNIQUE_OR_FOREIGN_KEY
    text = str(exc.orig)
    return text.startswith("UNIQUE constraint failed") or text == "FOREIGN KEY constraint failed"


@dataclass
class UnitOfWork:
    session: Session
    actor: Actor
    clock: Clock
    pending_events: list[DomainEvent] = field(default_factory=list)

    def emit(self, event: DomainEvent) -> None:
        self.pending_events.append(event)


class Store:
    """Opens units of work. Services never open transactions; their caller does, through this."""

    def __init__(
        self, engine: Engine, *, clock: Clock | None = None, bus: EventBus | None = None, reads: ReadCache | None = None
    ) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.bus = bus or EventBus()
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        # SQLite takes one writer at a time (callers that hold a unit of work across threads queue for it)
        self.one_writer = engine.dialect.name == "sqlite"
        revisions.track_writes(engine)
        self.reads = reads or ReadCache()

    @contextmanager
    def unit_of_work(self, actor: Actor, *, write: bool = True) -> Iterator[UnitOfWork]:
        maker = self._write if write else self._read
        with maker() as session:
            uow = UnitOfWork(session=session, actor=actor, clock=self.clock)
            moved: frozenset[str] = frozenset()
            try:
                yield uow
                if write:
                    session.flush()
                    moved = revisions.move_on(session)
                    session.commit()
                else:
                    session.rollback()
            except IntegrityError as exc:
                session.rollback()
                if _raced(exc):
                    raise Conflict(RACED, rule="concurrent-change") from exc
                raise
            except BaseException:
                session.rollback()
                raise
        if moved:
            self.reads.moved(moved)
        self.bus.publish_all(uow.pending_events)

    def run(self, actor: Actor, work: Callable[[UnitOfWork], object]) -> object:
        with self.unit_of_work(actor) as uow:
            return work(uow)

    def dispose(self) -> None:
        self.engine.dispose()
