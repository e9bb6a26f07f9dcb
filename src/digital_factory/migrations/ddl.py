"""Column, constraint and index factories for the revisions in `versions/`.

FROZEN: revisions are history that real installs replay, so what a factory here emits must never change once a
revision uses it. To emit something else, add a new factory and leave the old one alone. Nothing here imports
product code, which changes after the revisions are written.

Columns are NOT NULL unless `nullable=True`. Constraint and index names are spelled out in the store's naming
convention as it stood when the revisions were written (`fk_<table>_<column>_<referred table>`, `pk_<table>`,
`uq_<table>_<columns>`, `ck_<table>_<name>`, `ix_<table>_<column>`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# a conventionally named index on one column, or (name, columns) for one named by hand
IndexSpec = str | tuple[str, Sequence[str]]


def integer(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def big_integer(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def small_integer(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.SmallInteger(), nullable=nullable)


def floating(name: str, *, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Float(), nullable=nullable)


def double(name: str, *, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def boolean(name: str, *, nullable: bool = False) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=nullable)


def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def binary(name: str, *, nullable: bool = False) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(), nullable=nullable)


def date(name: str, *, nullable: bool = False) -> sa.Column[dt.date]:
    return sa.Column(name, sa.Date(), nullable=nullable)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[dt.datetime]:
    """A timezone-aware time (the store keeps UTC)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """`pk_<table>` on `columns`, the surrogate `id` when none are named."""
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def foreign_key(table: str, column: str, referred: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    """`table.column` references `referred.id`."""
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def create_indexes(table: str, *indexes: IndexSpec) -> None:
    """Non-unique indexes on `table`, created in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in indexes:
            if isinstance(index, str):
                batch_op.create_index(batch_op.f(f"ix_{table}_{index}"), [index], unique=False)
            else:
                batch_op.create_index(index[0], list(index[1]), unique=False)


def drop_indexes(table: str, *indexes: IndexSpec) -> None:
    """Undoes `create_indexes(table, *indexes)`: drops the same indexes, last created first."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in reversed(indexes):
            if isinstance(index, str):
                batch_op.drop_index(batch_op.f(f"ix_{table}_{index}"))
            else:
                batch_op.drop_index(index[0])


def drop_table(table: str, *indexes: IndexSpec) -> None:
    """Undoes `op.create_table(table, ...)` followed by `create_indexes(table, *indexes)`."""
    if indexes:
        drop_indexes(table, *indexes)
    op.drop_table(table)
