"""Per-prefix counters behind human keys (EPIC-1, EPIC-2, ...), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from digital_factory.core.keys import format_key
from digital_factory.store.base import Base


class KeySequence(Base):
    __tablename__ = "store_key_sequence"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_key(session: Session, prefix: str) -> str:
    """Allocate the next key for `prefix` inside the caller's transaction (row-locked by the UPDATE)."""
    result = session.execute(
        update(KeySequence)
        .where(KeySequence.prefix == prefix)
        .values(last_value=KeySequence.last_value + 1)
        .returning(KeySequence.last_value)
    ).scalar_one_or_none()
    if result is None:
        session.add(KeySequence(prefix=prefix, last_value=1))
        session.flush()
        result = 1
    return format_key(prefix, result)


def next_keys(session: Session, prefix: str, count: int) -> list[str]:
    """Allocate `count` consecutive keys at once (bulk imports): one row-locked UPDATE, not one per key."""
    if count <= 0:
        return []
    last = session.execute(
        update(KeySequence)
        .where(KeySequence.prefix == prefix)
        .values(last_value=KeySequence.last_value + count)
        .returning(KeySequence.last_value)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if last is None:
        session.add(KeySequence(prefix=prefix, last_value=count))
        session.flush()
        last = count
    return [format_key(prefix, number) for number in range(last - count + 1, last + 1)]


def current_value(session: Session, prefix: str) -> int:
    return session.execute(select(KeySequence.last_value).where(KeySequence.prefix == prefix)).scalar() or 0
