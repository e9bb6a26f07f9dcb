"""Human keys: one at a time and in blocks (bulk imports), never twice."""

from __future__ import annotations

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.store.sequences import current_value, next_key, next_keys


def test_blocks_continue_the_sequence(runtime: Runtime) -> None:
    with runtime.store.unit_of_work(system_actor()) as uow:
        assert next_keys(uow.session, "BULK", 0) == []
        assert next_keys(uow.session, "BULK", 3) == ["BULK-1", "BULK-2", "BULK-3"]
        assert next_key(uow.session, "BULK") == "BULK-4"
        assert next_keys(uow.session, "BULK", 2) == ["BULK-5", "BULK-6"]
        assert current_value(uow.session, "BULK") == 6
