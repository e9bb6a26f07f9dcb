"""The store: concurrent writers, key sequences, UTC datetimes, events only after commit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from digital_factory.accounts.service import list_audit_entries, record_audit
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Conflict
from digital_factory.core.events import DomainEvent
from digital_factory.core.pagination import PageRequest
from digital_factory.store.sequences import current_value, next_key
from digital_factory.store.uow import RACED, UnitOfWork
from digital_factory.teams import models as team_models
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate


def test_concurrent_writers_all_succeed(runtime: Runtime) -> None:
    def write(worker: int) -> list[str]:
        keys = []
        for _ in range(15):
            with runtime.store.unit_of_work(system_actor(f"w{worker}")) as uow:
                keys.append(next_key(uow.session, "EPIC"))
                record_audit(uow, "test.write", "thing", keys[-1])
        return keys

    with ThreadPoolExecutor(6) as pool:
        allocated = [key for keys in pool.map(write, range(6)) for key in keys]
    assert len(allocated) == len(set(allocated)) == 90
    assert sorted(int(k.split("-")[1]) for k in allocated) == list(range(1, 91))
    with runtime.store.unit_of_work(system_actor("r"), write=False) as uow:
        assert current_value(uow.session, "EPIC") == 90


def test_a_failed_unit_of_work_leaves_nothing(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.store.unit_of_work(system_actor("t")) as uow:
        next_key(uow.session, "FEAT")
        record_audit(uow, "test.write", "thing", "x")
        raise RuntimeError("half way")
    with runtime.store.unit_of_work(system_actor("r"), write=False) as uow:
        assert current_value(uow.session, "FEAT") == 0


def test_a_key_taken_by_another_transaction_between_check_and_commit_is_a_conflict(runtime: Runtime) -> None:
    """A use-case checks that a key is free, then writes; another transaction may take it in between. The
    store's unique constraint catches it, and the caller gets a conflict to retry, not a server error."""

    def team(uow: UnitOfWork) -> team_models.Team:
        return team_models.Team(key="engines", name="Engines", team_type="platform", created_at=uow.clock.now())

    with pytest.raises(Conflict) as refused, runtime.store.unit_of_work(system_actor("first")) as first:
        first.session.add(team(first))  # as if its check found the key free: the row waits for the commit
        with runtime.store.unit_of_work(system_actor("second")) as second:
            teams.create_team(second, TeamCreate(key="engines", name="Engines"))
    assert (refused.value.rule, refused.value.detail) == ("concurrent-change", RACED)
    with runtime.store.unit_of_work(system_actor("r"), write=False) as uow:
        assert [t.key for t in teams.list_teams(uow, PageRequest()).items] == ["engines"]


@dataclass(frozen=True)
class Happened(DomainEvent):
    what: str


def test_events_are_published_after_commit_only(runtime: Runtime) -> None:
    seen: list[str] = []
    runtime.store.bus.subscribe(Happened, lambda event: seen.append(event.what))

    def emit(uow: UnitOfWork, what: str) -> None:
        uow.emit(Happened(what))
        assert what not in seen  # not delivered inside the transaction

    with runtime.store.unit_of_work(system_actor("t")) as uow:
        emit(uow, "committed")
    with pytest.raises(ValueError), runtime.store.unit_of_work(system_actor("t")) as uow:
        emit(uow, "rolled back")
        raise ValueError
    assert seen == ["committed"]


def test_datetimes_come_back_as_utc(runtime: Runtime) -> None:
    with runtime.store.unit_of_work(system_actor("t")) as uow:
        record_audit(uow, "test.write", "thing", "x")
    from digital_factory.accounts.schemas import AuditFilter
    from digital_factory.core.pagination import PageRequest

    with runtime.store.unit_of_work(system_actor("r"), write=False) as uow:
        entry = list_audit_entries(uow, AuditFilter(action="test.write"), PageRequest()).items[0]
    assert entry.at.tzinfo is not None and entry.at.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - entry.at).total_seconds()) < 600
