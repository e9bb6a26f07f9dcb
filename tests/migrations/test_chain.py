"""The single migration chain: upgrade, downgrade, upgrade on both engines; drift; newer stores refused."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from digital_factory.app.factory import Runtime, prepare_store
from digital_factory.core.errors import SchemaMismatch
from digital_factory.migrations.metadata import target_metadata
from digital_factory.store import schema
from digital_factory.store.engine import make_engine


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        expected = {table.name for table in target_metadata().sorted_tables}
        assert expected <= set(inspect(engine).get_table_names())
        schema.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) & expected == set()
        schema.upgrade(engine)
        assert expected <= set(inspect(engine).get_table_names())
        assert schema.schema_state(engine).up_to_date
        assert schema.drift(engine) is None
    finally:
        engine.dispose()


def test_a_newer_store_is_refused(runtime: Runtime) -> None:
    head = schema.head_revision()
    with runtime.store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(SchemaMismatch, match="newer than this Digital Factory knows"):
            prepare_store(runtime)
    finally:
        with runtime.store.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def test_an_old_postgres_store_is_not_upgraded_behind_your_back(runtime: Runtime) -> None:
    schema.downgrade(runtime.store.engine, "0001")
    if runtime.settings.is_embedded_store:
        prepare_store(runtime)  # the embedded store upgrades itself
        assert schema.schema_state(runtime.store.engine).up_to_date
    else:
        with pytest.raises(SchemaMismatch, match="factory db upgrade"):
            prepare_store(runtime)
        schema.upgrade(runtime.store.engine)
