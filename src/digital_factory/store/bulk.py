"""Batched writes the two dialects spell differently: insert-ignoring-conflicts and insert-or-add.

Rows go in as one executemany of a statement compiled once (never an ORM object per row): SQLAlchemy's
"insertmanyvalues" turns it into multi-row INSERTs sized to each dialect's parameter limit where RETURNING
is wanted, the driver's own executemany otherwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, case, func
from sqlalchemy.dialects import postgresql, sqlite


def insert_new(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping any whose unique key is already stored; the `returning` columns of those
    actually inserted (nothing when `returning` is empty)."""
    if not rows:
        return []
    statement = _insert(connection, table).on_conflict_do_nothing()
    if not returning:
        connection.execute(statement, list(rows))
        return []
    result = connection.execute(statement.returning(*(table.c[name] for name in returning)), list(rows))
    return [tuple(row) for row in result]


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
    if not rows:
        return
    least_of = func.min if connection.dialect.name == "sqlite" else func.least
    greatest_of = func.max if connection.dialect.name == "sqlite" else func.greatest
    statement = _insert(connection, table)
    new = statement.excluded
    merged: dict[str, Any] = {name: table.c[name] + new[name] for name in add}
    merged |= {name: least_of(table.c[name], new[name]) for name in least}
    merged |= {name: greatest_of(table.c[name], new[name]) for name in greatest}
    if latest is not None:
        order, columns = latest
        newer = new[order] >= table.c[order]
        merged |= {name: case((newer, new[name]), else_=table.c[name]) for name in (order, *columns)}
    connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=merged), list(rows))


def _insert(connection: Connection, table: Table) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
