"""Per-prefix counters behind human keys (EPIC-1, EPIC-2, ...), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from digital_factory.core.keys import format_key
from digital_factory.store.base import Base
from digital_factory.store.engine import dialect_insert


class KeySequence(Base):
    __tablename__ = "store_key_sequence"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_keys(session: Session, prefix: str, count: int) -> list[str]:
    """Allocate `count` consecutive keys at once inside the caller's transaction.

    One upsert statement, so concurrent first allocations cannot collide (both engines support
    `INSERT … ON CONFLICT DO UPDATE … RETURNING`); the row lock serialises the rest."""
    if count <= 0:
        return []
    upsert = (
        dialect_insert(session.get_bind().dialect.name, KeySequence)
        .values(prefix=prefix, last_value=count)
        .on_conflict_do_update(index_elements=[KeySequence.prefix], set_={"last_value": KeySequence.last_value + count})
        .returning(KeySequence.last_value)
    )
    last = session.execute(upsert).scalar_one()
    return [format_key(prefix, number) for number in range(last - count + 1, last + 1)]


def next_key(session: Session, prefix: str) -> str:
    """Allocate the next key for `prefix` inside the caller's transaction."""
    return next_keys(session, prefix, 1)[0]


def current_value(session: Session, prefix: str) -> int:
    return session.execute(select(KeySequence.last_value).where(KeySequence.prefix == prefix)).scalar() or 0
