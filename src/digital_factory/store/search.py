"""Searching text columns for what a person typed."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

Text = ColumnElement[str] | InstrumentedAttribute[str]


def contains(column: Text, words: str) -> ColumnElement[bool]:
    """`column` contains `words` as typed, ignoring case: `%`, `_` and `\\` match only themselves."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def any_contains(words: str, *columns: Text) -> ColumnElement[bool]:
    """One of `columns` contains `words` as typed."""
    return or_(*(contains(column, words) for column in columns))
