"""Topic revisions: a write to a watched table moves its topic on in the same transaction; nothing else does."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import models
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate, EpicFilter, ThemeCreate
from digital_factory.store import revisions
from digital_factory.store.sequences import next_key

TOPIC = portfolio.TOPIC


def _revision(runtime: Runtime) -> int:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return revisions.current(uow.session, TOPIC)


def test_a_flushed_write_moves_the_topic_on_once_per_transaction(runtime: Runtime) -> None:
    before = _revision(runtime)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        theme = portfolio.create_theme(uow, ThemeCreate(objective="Faster checkout"))
        portfolio.create_epic(uow, EpicCreate(title="One-click payment", themes=[theme.key]))
    assert _revision(runtime) == before + 1


def test_a_core_statement_counts_as_a_write(runtime: Runtime) -> None:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        portfolio.create_epic(uow, EpicCreate(title="Faster checkout"))
    before = _revision(runtime)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        uow.session.execute(update(models.Epic).values(title="Quicker checkout"))
    assert _revision(runtime) == before + 1


def test_a_rolled_back_write_and_an_unwatched_one_leave_it(runtime: Runtime) -> None:
    before = _revision(runtime)
    with pytest.raises(RuntimeError), runtime.store.unit_of_work(system_actor("tests")) as uow:
        portfolio.create_epic(uow, EpicCreate(title="Never stored"))
        raise RuntimeError("half way")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        next_key(uow.session, "OTHER")  # a table no topic watches
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        portfolio.list_epics(uow, EpicFilter(), PageRequest())
    assert _revision(runtime) == before
