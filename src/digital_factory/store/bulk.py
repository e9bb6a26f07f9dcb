"""Batched writes the two dialects spell differently: insert-ignoring-conflicts and insert-or-add.

Rows go in as one executemany of a statement compiled once (never an ORM object per row): SQLAlchemy's
"insertmanyvalues" turns it into multi-row INSERTs sized to each dialect's parameter limit where RETURNING
is wanted, the driver's own executemany otherwise. Large batches go to PostgreSQL by COPY. On SQLite the
driver's executemany gets plain tuples (SQLAlchemy's per-row parameter handling cost more than the
insert itself), and RETURNING is only used when a savepointed executemany shows some rows were stored
already."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, case, func, insert, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

from digital_factory.store.engine import dialect_insert

COPY_FROM = 500
"""From this many rows, PostgreSQL takes them by COPY into a scratch table, then one INSERT … SELECT."""


def insert_new(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert `rows`, skipping any whose unique key is already stored; the `returning` columns of those
    actually inserted (nothing when `returning` is empty)."""
    if not rows:
        return []
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        return _copy_new(connection, table, rows, returning)
    # one statement executed for many parameter sets: SQLAlchemy's "insertmanyvalues" sends them as
    # multi-row VALUES batches with RETURNING, compiled once (a `.values([...])` statement compiles per call)
    statement = dialect_insert(connection.dialect.name, table).on_conflict_do_nothing()
    if connection.dialect.name == "sqlite":
        if not returning:
            execute_many(connection, statement, rows, ("new", table))
            return []
        if set(returning) <= set(rows[0]) and _sqlite_all_new(connection, statement, ("new", table), rows):
            return [tuple(row[name] for name in returning) for row in rows]
    if not returning:
        connection.execute(statement, list(rows))
        return []
    result = connection.execute(statement.returning(*(table.c[name] for name in returning)), list(rows))
    return [tuple(row) for row in result]


def insert_numbered(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert `rows` into a table numbered by an integer `id`; their new ids, in order. PostgreSQL takes the
    ids from the table's sequence in one query and the rows by the driver's pipelined executemany of one
    short statement (a multi-row INSERT … RETURNING is a statement as long as its rows, which the driver
    parses anew every time); SQLite returns them from the INSERT."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        numbered = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(numbered, rows).scalars())
    next_ids = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
    ids = list(session.execute(next_ids, {"table": table.name, "count": len(rows)}).scalars())
    session.execute(insert(table), [{**row, "id": id} for row, id in zip(rows, ids, strict=True)])
    return ids


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
    statement = dialect_insert(connection.dialect.name, table)
    new = statement.excluded
    merged: dict[str, Any] = {name: table.c[name] + new[name] for name in add}
    merged |= {name: least_of(table.c[name], new[name]) for name in least}
    merged |= {name: greatest_of(table.c[name], new[name]) for name in greatest}
    if latest is not None:
        order, columns = latest
        newer = new[order] >= table.c[order]
        merged |= {name: case((newer, new[name]), else_=table.c[name]) for name in (order, *columns)}
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=merged)
    if connection.dialect.name == "sqlite":
        plan = ("merge", table, tuple(key), tuple(add), tuple(least), tuple(greatest), repr(latest))
        execute_many(connection, statement, rows, plan)
        return
    connection.execute(statement, list(rows))


def execute_many(
    connection: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]], plan: Hashable
) -> int:
    """Run `statement` once per row (the rows' keys are its parameters); the rows it changed. On SQLite the
    driver's executemany gets plain tuples, each value through its type's bind processor as SQLAlchemy would
    pass it; the compiled statement is kept under `plan` (a key naming the statement's shape and its table)."""
    if not rows:
        return 0
    if connection.dialect.name != "sqlite":
        return int(connection.execute(statement, list(rows)).rowcount)
    driver = _driver_plan(connection, statement, (plan, tuple(rows[0])))
    values = driver.tuples(rows)
    if driver.group is None:
        return int(connection.exec_driver_sql(driver.sql, values).rowcount)
    # an INSERT: multi-row VALUES, so the driver runs a statement per chunk, not one per row (each one lets
    # go of the GIL, and a busy thread can keep it from the writer for its whole switch interval)
    per = max(1, _variable_limit(connection) // len(driver.names))
    changed = 0
    for start in range(0, len(values), per):
        chunk = values[start : start + per]
        flat = tuple(chain.from_iterable(chunk))
        changed += int(connection.exec_driver_sql(driver.rows_sql(len(chunk)), flat).rowcount)
    return changed


def _variable_limit(connection: Connection) -> int:
    """The most parameters one SQLite statement takes (32,766 since SQLite 3.32, 999 before)."""
    driver = connection.connection.driver_connection
    getlimit = getattr(driver, "getlimit", None)
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if getlimit is not None else 999


@dataclass(frozen=True)
class _DriverPlan:
    sql: str
    names: tuple[str, ...]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    constants: dict[str, Any]  # the statement's own bound values (a literal in an expression)
    group: str | None  # an INSERT's "(?, ?, …)", repeated for many rows in one statement

    def rows_sql(self, count: int) -> str:
        assert self.group is not None
        head, _, tail = self.sql.partition(self.group)
        return head + ", ".join([self.group] * count) + tail

    def tuples(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        if self.constants:
            rows = [{**self.constants, **row} for row in rows]
        pick = itemgetter(*self.names)
        if len(self.names) == 1:
            picked: list[tuple[Any, ...]] = [(pick(row),) for row in rows]
        else:
            picked = [pick(row) for row in rows]
        if not self.processors:
            return picked
        processed: list[tuple[Any, ...]] = []
        for values in picked:
            changed = list(values)
            for index, process in self.processors:
                changed[index] = process(changed[index])
            processed.append(tuple(changed))
        return processed


_plans: dict[tuple[Hashable, tuple[str, ...]], _DriverPlan] = {}


def _driver_plan(connection: Connection, statement: UpdateBase, key: tuple[Hashable, tuple[str, ...]]) -> _DriverPlan:
    found = _plans.get(key)
    if found is None:
        compiled = statement.compile(dialect=connection.dialect, column_keys=list(key[1]))
        assert isinstance(compiled, SQLCompiler)
        names = tuple(compiled.positiontup or ())
        constants = {name: compiled.binds[name].effective_value for name in names if name not in key[1]}
        processors = []
        for index, name in enumerate(names):
            process = compiled.binds[name].type.bind_processor(connection.dialect)
            if process is not None:
                processors.append((index, process))
        sql = str(compiled)
        group = "(" + ", ".join(["?"] * len(names)) + ")"
        multi = compiled.isinsert and not constants and sql.count(group) == 1 and " VALUES " + group in sql
        found = _plans.setdefault(key, _DriverPlan(sql, names, tuple(processors), constants, group if multi else None))
    return found


def _sqlite_all_new(
    connection: Connection, statement: UpdateBase, plan: Hashable, rows: Sequence[Mapping[str, Any]]
) -> bool:
    """SQLite: insert the rows by the driver's executemany (which cannot return rows) in a savepoint; True when
    every row was new. Otherwise some were stored already: the savepoint is undone, so the caller inserts them
    again with RETURNING to learn which were new (a re-send: the rare case)."""
    connection.exec_driver_sql("SAVEPOINT bulk_insert_new")
    changed = execute_many(connection, statement, rows, plan)
    if changed != len(rows):
        connection.exec_driver_sql("ROLLBACK TO bulk_insert_new")
    connection.exec_driver_sql("RELEASE bulk_insert_new")
    return changed == len(rows)


def _copy_new(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: COPY the rows into a session-local scratch table shaped like `table` (emptied at commit),
    then insert what is new in key order (so concurrent writers queue rather than deadlock)."""
    columns = list(rows[0])
    names = _quoted(columns)
    scratch = f'"scratch_{table.name}"'
    keyed = [column.name for column in table.primary_key.columns]
    order = f" ORDER BY {_quoted(keyed)}" if set(keyed) <= set(columns) else ""
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
            f'SELECT {names} FROM "{table.name}" WITH NO DATA'
        )
        cursor.execute(f"TRUNCATE {scratch}")
        with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_copyable(row[name]) for name in columns])
        tail = f" RETURNING {_quoted(returning)}" if returning else ""
        cursor.execute(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {scratch}{order} ON CONFLICT DO NOTHING{tail}'
        )
        return [tuple(found) for found in cursor.fetchall()] if returning else []


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _copyable(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value
