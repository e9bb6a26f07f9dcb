"""work flow facts: a feature's and a story's work start, active time and reopenings, kept with every state change and backfilled from the state history (revision 0016, after 0015, 2026-12-05)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from digital_factory.store.base import UTCDateTime

revision, down_revision = "0016", "0015"

_ITEMS = (("portfolio_feature", "feature_id"), ("portfolio_story", "story_id"))


def upgrade() -> None:
    for table, _ in _ITEMS:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:  # in place, as below
            batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("active_seconds", sa.Float(), server_default="0", nullable=False))
            batch_op.add_column(sa.Column("reopened", sa.Integer(), server_default="0", nullable=False))
    for table, column in _ITEMS:
        _backfill(table, column)


def _backfill(table: str, column: str) -> None:
    """Each item's facts folded over its history, as `portfolio/work_facts.py` keeps them (spelled out here:
    a migration does not change with the code); `state_changed_at` is set to the time of the last transition
    (an earlier version could leave them microseconds apart)."""
    bind = op.get_bind()
    update = sa.text(
        f"UPDATE {table} SET started_at = :started, active_seconds = :active, reopened = :reopened, "
        "state_changed_at = :last WHERE id = :id"
    ).bindparams(sa.bindparam("started", type_=UTCDateTime()), sa.bindparam("last", type_=UTCDateTime()))
    rows = bind.execute(
        sa.text(
            f"SELECT {column}, at, to_state FROM portfolio_work_transition WHERE {column} IS NOT NULL "
            f"ORDER BY {column}, at, id"
        ).columns(sa.column(column, sa.Integer()), sa.column("at", UTCDateTime()), sa.column("to_state", sa.String()))
    )
    batch = [_facts(item, moves) for item, moves in _grouped(rows)]
    for start in range(0, len(batch), 5_000):
        bind.execute(update, batch[start : start + 5_000])


def _grouped(rows: Iterable[Any]) -> Iterator[tuple[int, list[tuple[datetime, str]]]]:
    item, moves = None, []
    for item_id, at, state in rows:
        if item_id != item and item is not None:
            yield item, moves
            moves = []
        item = item_id
        moves.append((at, state))
    if item is not None:
        yield item, moves


def _facts(item: int, moves: list[tuple[datetime, str]]) -> dict[str, object]:
    started, active, reopened = None, 0.0, 0
    for (entered, source), (at, state) in itertools.pairwise(moves):
        if source == "active":
            active += (at - entered).total_seconds()
        if started is None and state in ("active", "waiting"):
            started = at
        if source == "done":
            reopened += 1
    return {"id": item, "started": started, "active": active, "reopened": reopened, "last": moves[-1][0]}


def downgrade() -> None:
    # in place (SQLite 3.35+ drops columns itself): rebuilding the tables would cascade-delete their histories
    for table, _ in _ITEMS:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("reopened")
            batch_op.drop_column("active_seconds")
            batch_op.drop_column("started_at")
