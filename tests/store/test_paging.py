"""`paginate`, the one count + offset helper, through a real table on both engines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import select

from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import OutputModel
from digital_factory.store.engine import make_engine
from digital_factory.store.paging import paginate, rows_as
from digital_factory.store.sequences import KeySequence
from digital_factory.store.uow import Store, UnitOfWork

PREFIXES = ["AB", "CD", "EF", "GH", "IJ", "KL", "MN"]  # last_value 1..7 in this order


@pytest.fixture
def uow(database_url: str) -> Iterator[UnitOfWork]:
    store = Store(make_engine(database_url))
    with store.unit_of_work(system_actor("test")) as setup:
        setup.session.add_all(KeySequence(prefix=p, last_value=n) for n, p in enumerate(PREFIXES, start=1))
    with store.unit_of_work(system_actor("test"), write=False) as reading:
        yield reading
    store.dispose()


def prefixes(rows: Sequence[KeySequence]) -> list[str]:
    return [row.prefix for row in rows]


def test_the_first_page_and_the_total(uow: UnitOfWork) -> None:
    page = paginate(uow.session, select(KeySequence), PageRequest(limit=3), prefixes, order_by=[KeySequence.prefix])
    assert page.items == ["AB", "CD", "EF"]
    assert (page.total, page.limit, page.offset, page.has_next) == (7, 3, 0, True)


def test_later_pages_follow_the_order_given(uow: UnitOfWork) -> None:
    newest_first = [KeySequence.last_value.desc()]
    pages = [
        paginate(uow.session, select(KeySequence), PageRequest(limit=3, offset=o), prefixes, order_by=newest_first)
        for o in (0, 3, 6)
    ]
    assert [p.items for p in pages] == [["MN", "KL", "IJ"], ["GH", "EF", "CD"], ["AB"]]
    assert [p.has_next for p in pages] == [True, True, False]
    assert {p.total for p in pages} == {7}


def test_past_the_end_is_an_empty_page_with_the_total(uow: UnitOfWork) -> None:
    page = paginate(
        uow.session, select(KeySequence), PageRequest(limit=5, offset=20), prefixes, order_by=[KeySequence.prefix]
    )
    assert (page.items, page.total, page.offset, page.has_next) == ([], 7, 20, False)


def test_the_total_counts_only_what_the_query_filters(uow: UnitOfWork) -> None:
    query = select(KeySequence).where(KeySequence.last_value > 4)
    page = paginate(uow.session, query, PageRequest(limit=2), prefixes, order_by=[KeySequence.prefix])
    assert (page.items, page.total) == (["IJ", "KL"], 3)
    none = paginate(uow.session, query.where(KeySequence.prefix == "AB"), PageRequest(), prefixes)
    assert (none.items, none.total) == ([], 0)


def test_an_order_on_the_query_itself_is_kept_for_the_page(uow: UnitOfWork) -> None:
    query = select(KeySequence).order_by(KeySequence.last_value.desc())
    page = paginate(uow.session, query, PageRequest(limit=2, offset=1), prefixes)
    assert (page.items, page.total) == (["KL", "IJ"], 7)


def test_the_mapper_gets_one_page_of_rows_at_once(uow: UnitOfWork) -> None:
    calls: list[int] = []

    def values(rows: Sequence[KeySequence]) -> list[int]:
        calls.append(len(rows))
        return [row.last_value * 10 for row in rows]

    page = paginate(uow.session, select(KeySequence), PageRequest(limit=4), values, order_by=[KeySequence.prefix])
    assert (page.items, calls) == ([10, 20, 30, 40], [4])


class Counter(OutputModel):
    prefix: str
    last_value: int


def test_rows_as_reads_each_row_into_a_dto(uow: UnitOfWork) -> None:
    page = paginate(
        uow.session, select(KeySequence), PageRequest(limit=2), rows_as(Counter), order_by=[KeySequence.prefix]
    )
    assert page.items == [Counter(prefix="AB", last_value=1), Counter(prefix="CD", last_value=2)]
