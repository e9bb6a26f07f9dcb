"""The SQL statements a store runs while a block runs: for tests that a page or read does not grow its
statements with its rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import event
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime


@contextmanager
def statements(runtime: Runtime, *, only_selects: bool = False) -> Iterator[list[str]]:
    """The statements (or only the SELECTs) run on the runtime's store while the block runs."""
    seen: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2])
        if not only_selects or statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(runtime.store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.store.engine, "before_cursor_execute", record)


def selects(runtime: Runtime) -> AbstractContextManager[list[str]]:
    """The SELECT statements run while the block runs."""
    return statements(runtime, only_selects=True)


def selects_for(runtime: Runtime, client: TestClient, path: str) -> int:
    """How many SELECTs a GET of `path` runs (it must answer 200)."""
    with selects(runtime) as seen:
        assert client.get(path).status_code == 200
    return len(seen)
