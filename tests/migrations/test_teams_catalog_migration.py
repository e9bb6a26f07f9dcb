"""Revision 0005 upgrades a store that already has teams, and goes down and up again, on both engines."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from digital_factory.store import schema
from digital_factory.store.engine import make_engine


def test_upgrade_keeps_existing_teams_and_round_trips(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        schema.downgrade(engine, "0002")
        assert "teams_domain" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO teams_team (key, name, team_type, mission, created_at) "
                    "VALUES ('engines', 'Engines', 'stream-aligned', '', CURRENT_TIMESTAMP)"
                )
            )
        schema.upgrade(engine)
        with engine.connect() as connection:
            profile = connection.execute(text("SELECT profile FROM teams_team WHERE key = 'engines'")).scalar_one()
        assert (json.loads(profile) if isinstance(profile, str) else profile) == {}
        tables = set(inspect(engine).get_table_names())
        assert {"teams_domain", "teams_interaction", "teams_survey_response", "catalog_value_stream"} <= tables
        assert "catalog_dependency" in tables
        schema.downgrade(engine, "0002")
        schema.upgrade(engine)
        assert schema.drift(engine) is None
    finally:
        schema.upgrade(engine)
        engine.dispose()
