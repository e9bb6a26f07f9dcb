"""What a person types is searched for as typed: `%`, `_` and `\\` are no wildcards, on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from digital_factory.core.actor import system_actor
from digital_factory.store.engine import make_engine
from digital_factory.store.search import any_contains, contains
from digital_factory.store.sequences import KeySequence
from digital_factory.store.uow import Store, UnitOfWork

PREFIXES = ["A%B", "A_B", "AXB", "A\\B", "zz"]


@pytest.fixture
def uow(database_url: str) -> Iterator[UnitOfWork]:
    store = Store(make_engine(database_url))
    with store.unit_of_work(system_actor("test")) as setup:
        setup.session.add_all(KeySequence(prefix=p, last_value=1) for p in PREFIXES)
    with store.unit_of_work(system_actor("test"), write=False) as reading:
        yield reading
    store.dispose()


def _found(uow: UnitOfWork, words: str) -> list[str]:
    query = select(KeySequence.prefix).where(contains(KeySequence.prefix, words)).order_by(KeySequence.prefix)
    return list(uow.session.scalars(query))


def test_wildcards_typed_match_only_themselves(uow: UnitOfWork) -> None:
    assert _found(uow, "%") == ["A%B"]
    assert _found(uow, "_") == ["A_B"]
    assert _found(uow, "\\") == ["A\\B"]
    assert _found(uow, "a%b") == ["A%B"]  # case is ignored
    assert sorted(_found(uow, "a")) == sorted(["A%B", "A_B", "AXB", "A\\B"])


def test_any_of_several_columns(uow: UnitOfWork) -> None:
    query = select(KeySequence.prefix).where(any_contains("Z", KeySequence.prefix, KeySequence.prefix))
    assert list(uow.session.scalars(query)) == ["zz"]
