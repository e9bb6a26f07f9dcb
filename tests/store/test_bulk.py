"""Batched writes on both dialects: new rows in, stored ones skipped, what was new answered; merges add up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import JSON, BigInteger, Column, Engine, Float, Integer, MetaData, String, Table, func, select

from digital_factory.store.bulk import COPY_FROM, insert_new, insert_or_merge
from digital_factory.store.engine import make_engine

metadata = MetaData()
points = Table(
    "bulk_test_point",
    metadata,
    Column("series", Integer, primary_key=True, autoincrement=False),
    Column("at", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Float, nullable=False),
    Column("extra", JSON),
)
named = Table(
    "bulk_test_named",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True, nullable=False),
)
totals = Table(
    "bulk_test_total",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("last_at", BigInteger, nullable=False),
    Column("last", Float, nullable=False),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    metadata.create_all(made)
    yield made
    metadata.drop_all(made)
    made.dispose()


@pytest.mark.parametrize("size", [3, COPY_FROM + 7])  # a plain multi-row insert, and PostgreSQL's COPY path
def test_insert_new_skips_stored_rows_and_answers_the_new_ones(engine: Engine, size: int) -> None:
    rows = [{"series": i % 3, "at": i, "value": i / 2, "extra": {"i": i, "text": "tab\\there"}} for i in range(size)]
    with engine.begin() as connection:
        first = insert_new(connection, points, rows, returning=("series", "at"))
    with engine.begin() as connection:
        again = insert_new(connection, points, [*rows, {"series": 9, "at": 1, "value": 0.0, "extra": None}], ("at",))
        stored = connection.execute(select(points).order_by(points.c.at, points.c.series)).all()
    assert sorted(first) == sorted((i % 3, i) for i in range(size))
    assert again == [(1,)]
    assert len(stored) == size + 1
    assert stored[1].extra == {"i": 1, "text": "tab\\there"} and stored[1].value == 0.5


def test_insert_new_fills_generated_keys_on_the_copy_path(engine: Engine) -> None:
    rows = [{"name": f"n{i}"} for i in range(COPY_FROM + 1)]
    with engine.begin() as connection:
        insert_new(connection, named, rows)
        insert_new(connection, named, rows[:10])
        assert connection.execute(select(func.count(), func.count(func.distinct(named.c.id)))).one() == (
            COPY_FROM + 1,
            COPY_FROM + 1,
        )


def test_insert_or_merge_adds_keeps_extremes_and_the_latest(engine: Engine) -> None:
    def row(count: int, low: float, high: float, at: int, last: float) -> dict[str, float]:
        return {"key": 1, "count": count, "low": low, "high": high, "last_at": at, "last": last}

    merge = {"key": ("key",), "add": ("count",), "least": ("low",), "greatest": ("high",)}
    with engine.begin() as connection:
        for given in (row(2, 5, 9, 100, 7), row(3, 1, 6, 50, 2), row(1, 4, 12, 200, 11)):
            insert_or_merge(connection, totals, [given], latest=("last_at", ("last",)), **merge)
        assert tuple(connection.execute(select(totals)).one()) == (1, 6, 1, 12, 200, 11)


def test_sqlite_statements_in_chunks_under_the_variable_limit_keep_every_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digital_factory.store import bulk

    monkeypatch.setattr(bulk, "_variable_limit", lambda connection: 8)  # two rows of four a statement on SQLite
    rows = [{"series": 1, "at": i, "value": float(i), "extra": None} for i in range(5)]
    with engine.begin() as connection:
        first = insert_new(connection, points, rows, returning=("at",))
        new_row = {"series": 2, "at": 0, "value": 9.0, "extra": {"x": 1}}
        again = insert_new(connection, points, [*rows, new_row], returning=("at",))
        merge = {"key": ("key",), "add": ("count",), "least": ("low",), "greatest": ("high",)}
        totals_in = [{"key": k, "count": 1, "low": k, "high": k, "last_at": k, "last": k} for k in range(5)]
        insert_or_merge(connection, totals, totals_in, latest=("last_at", ("last",)), **merge)
        insert_or_merge(connection, totals, totals_in[2:], latest=("last_at", ("last",)), **merge)
        stored = connection.execute(select(points.c.series, points.c.at, points.c.extra).order_by("series", "at")).all()
        counts = connection.execute(select(totals.c.key, totals.c.count).order_by(totals.c.key)).all()
    assert sorted(first) == [(i,) for i in range(5)]
    assert again == [(0,)]  # only the new row, though five of the six were stored already
    assert [(s, a) for s, a, _ in stored] == [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (2, 0)]
    assert stored[0].extra is None and stored[-1].extra == {"x": 1}
    assert [tuple(row) for row in counts] == [(0, 1), (1, 1), (2, 2), (3, 2), (4, 2)]
