"""The portfolio revision goes up and down on both stores and seeds the documented WIP limits."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from digital_factory.portfolio.kanban import DEFAULT_WIP_LIMITS
from digital_factory.store import schema
from digital_factory.store.engine import make_engine


def _limits(connection: Connection) -> dict[str, int | None]:
    rows = connection.execute(text("SELECT state, wip_limit FROM portfolio_state_config")).all()
    return {str(state): limit for state, limit in rows}


def test_portfolio_revision_round_trip(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            seeded = _limits(connection)
        if seeded:  # (the PostgreSQL test store is emptied between tests)
            assert seeded == {str(state): limit for state, limit in DEFAULT_WIP_LIMITS.items()}
        schema.downgrade(engine, "0002")
        assert not any(name.startswith("portfolio_") for name in inspect(engine).get_table_names())
        schema.upgrade(engine)
        assert "portfolio_epic" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            seeded = _limits(connection)
        assert seeded == {str(state): limit for state, limit in DEFAULT_WIP_LIMITS.items()}
    finally:
        engine.dispose()
