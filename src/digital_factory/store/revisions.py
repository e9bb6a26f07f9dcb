"""Revisions per topic: a counter that a write unit of work moves on, in its own transaction, whenever it
wrote a table the topic watches. A process may keep what it read of a topic (`store.reads`) for as long as
the topic's revision stays where it was.

Writes are noticed below the ORM (every INSERT, UPDATE and DELETE the engine sends), so Core statements
and bulk writes count as well as flushes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Engine, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from digital_factory.store.base import Base
from digital_factory.store.engine import dialect_insert

TOUCHED = "factory_touched_tables"
_WRITE = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)

# (topic, watched table names, watched table name prefixes), filled at import time by the domains
_WATCHES: list[tuple[str, frozenset[str], tuple[str, ...]]] = []


class StoreRevision(Base):
    __tablename__ = "store_revision"

    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


def watch(topic: str, tables: Iterable[str] = (), *, prefixes: Iterable[str] = ()) -> None:
    """From now on, a write to any of `tables`, or to a table whose name starts with one of `prefixes`, moves
    `topic`'s revision on."""
    _WATCHES.append((topic, frozenset(tables), tuple(prefixes)))
    _topics_of.cache_clear()


@lru_cache(maxsize=1024)
def _topics_of(table: str) -> frozenset[str]:
    return frozenset(topic for topic, names, prefixes in _WATCHES if table in names or table.startswith(prefixes))


def track_writes(engine: Engine) -> None:
    """Note on each connection which watched tables its current transaction wrote."""
    event.listen(engine, "begin", _forget)
    event.listen(engine, "before_cursor_execute", _notice)


def _forget(connection: Any) -> None:
    connection.info.pop(TOUCHED, None)


def _notice(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
    table = _written_table(statement)
    if table is not None and _topics_of(table):
        connection.info.setdefault(TOUCHED, set()).add(table)


@lru_cache(maxsize=4096)
def _written_table(statement: str) -> str | None:
    found = _WRITE.match(statement)
    return found.group(1).lower() if found else None


def move_on(session: Session) -> frozenset[str]:
    """Move on the revision of every topic this transaction wrote to (call it flushed, before commit);
    returns those topics."""
    if not session.in_transaction():
        return frozenset()
    touched: set[str] = session.connection().info.pop(TOUCHED, set())
    topics = frozenset(topic for table in touched for topic in _topics_of(table))
    if not topics:
        return topics
    dialect = session.get_bind().dialect.name
    for topic in sorted(topics):  # one order, so two writers never wait on each other's rows crosswise
        session.execute(
            dialect_insert(dialect, StoreRevision)
            .values(topic=topic, revision=1)
            .on_conflict_do_update(index_elements=[StoreRevision.topic], set_={"revision": StoreRevision.revision + 1})
        )
    return topics


def current(session: Session, topic: str) -> int:
    return session.scalar(select(StoreRevision.revision).where(StoreRevision.topic == topic)) or 0
