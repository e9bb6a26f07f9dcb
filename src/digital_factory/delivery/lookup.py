"""Rows by the ids callers send (path parameters, request bodies)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from digital_factory.store.base import Base

M = TypeVar("M", bound=Base)
MAX_ID = 2**31 - 1  # id columns are 32-bit on PostgreSQL, which refuses a larger number outright


def by_id(session: Session, model: type[M], key: int) -> M | None:
    """The row with this id, or None (also for an id no row can have, instead of a database error)."""
    return session.get(model, key) if 0 < key <= MAX_ID else None
