"""Batched writes the two dialects spell differently: insert-ignoring-conflicts and insert-or-add.

Rows go in as multi-row INSERTs (never an ORM object per row), in chunks small enough for SQLite's
variable limit and PostgreSQL's parameter limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, case, func
from sqlalchemy.dialects import postgresql, sqlite

MAX_PARAMETERS = 30_000  # under SQLite's 32,766 and PostgreSQL's 65,535


def insert_new(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping any whose unique key is already stored; the `returning` columns of those
    actually inserted (nothing when `returning` is empty)."""
    inserted: list[tuple[Any, ...]] = []
    for chunk in _chunks(rows):
        statement = _insert(connection, table).values(list(chunk)).on_conflict_do_nothing()
        if returning:
            result = connection.execute(statement.returning(*(table.c[name] for name in returning)))
            inserted.extend(tuple(row) for row in result)
        else:
            connection.execute(statement)
    return inserted


def insert_or_merge(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[str],
    *,
    add: Sequence[str] = (),
    least: Sequence[str] = (),
    greatest: Sequence[str] = (),
    latest: tuple[str, Sequence[str]] | None = None,
) -> None:
    """Insert `rows`; where the `key` exists, add the `add` columns, keep the smaller `least` and larger
    `greatest` ones, and take the `latest` columns from the row whose `latest[0]` column is newer."""
    least_of = func.min if connection.dialect.name == "sqlite" else func.least
    greatest_of = func.max if connection.dialect.name == "sqlite" else func.greatest
    for chunk in _chunks(rows):
        statement = _insert(connection, table).values(list(chunk))
        new = statement.excluded
        merged: dict[str, Any] = {name: table.c[name] + new[name] for name in add}
        merged |= {name: least_of(table.c[name], new[name]) for name in least}
        merged |= {name: greatest_of(table.c[name], new[name]) for name in greatest}
        if latest is not None:
            order, columns = latest
            newer = new[order] >= table.c[order]
            merged |= {name: case((newer, new[name]), else_=table.c[name]) for name in (order, *columns)}
        connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=merged))


def _insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _chunks(rows: Sequence[Mapping[str, Any]]) -> Iterator[Sequence[Mapping[str, Any]]]:
    if not rows:
        return
    size = max(1, MAX_PARAMETERS // max(1, len(rows[0])))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
