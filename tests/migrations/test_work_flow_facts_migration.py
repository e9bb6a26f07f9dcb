"""Revision 0016 backfills each work item's flow facts from its state history: the same values the state
changes kept as they happened."""

from __future__ import annotations

from sqlalchemy import Engine, text

from digital_factory.app.factory import Runtime
from digital_factory.portfolio.schemas import WorkState
from digital_factory.store import schema
from tests.insights.flow_builders import flow_data


def _facts(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for table in ("portfolio_feature", "portfolio_story")
            for row in connection.execute(
                text(f"SELECT key, started_at, active_seconds, reopened, state_changed_at FROM {table} ORDER BY id")
            )
        ]


def test_the_backfill_equals_the_facts_kept_at_each_change(runtime: Runtime) -> None:
    s, keys = flow_data(runtime)
    s.at(21).change(keys["F"], WorkState.ACTIVE)  # reopened
    s.at(22).change(keys["F"], WorkState.DONE)
    engine = runtime.store.engine
    kept = _facts(engine)
    assert any(row[3] == 1 for row in kept) and any(row[1] is not None for row in kept)
    schema.downgrade(engine, "0015")
    schema.upgrade(engine)
    assert _facts(engine) == kept
