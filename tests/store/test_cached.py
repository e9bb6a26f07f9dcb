"""What a process keeps of its reads: an answer per topic revision, checked against the store at most every
`refresh_seconds`, dropped at once by a commit in this process."""

from __future__ import annotations

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate
from digital_factory.settings import Settings
from digital_factory.store.cached import ReadCache
from digital_factory.store.uow import Store
from tests.processes import another_process

TOPIC = portfolio.TOPIC


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _create(store: Store, title: str) -> None:
    with store.unit_of_work(system_actor("tests")) as uow:
        portfolio.create_epic(uow, EpicCreate(title=title))


def _load(store: Store, cache: ReadCache, answer: bytes) -> bytes:
    with store.unit_of_work(system_actor("tests"), write=False) as uow:
        return cache.load(uow.session, TOPIC, "key", lambda: answer)


def test_an_answer_is_kept_until_the_next_check_finds_the_revision_moved(runtime: Runtime, settings: Settings) -> None:
    clock = Clock()
    cache = ReadCache(refresh_seconds=1.0, clock=clock)
    assert cache.get(TOPIC, "key") is None
    assert _load(runtime.store, cache, b"first") == b"first"
    assert cache.get(TOPIC, "key") == b"first"
    with another_process(settings) as other:
        _create(other.store, "Made elsewhere")
    clock.now += 0.5
    assert cache.get(TOPIC, "key") == b"first", "trusted until the next revision check"
    clock.now += 0.6
    assert cache.get(TOPIC, "key") is None, "due for a revision check"
    assert _load(runtime.store, cache, b"second") == b"second", "the revision moved: read again"
    assert _load(runtime.store, cache, b"unused") == b"second", "and kept at the new revision"


def test_a_commit_in_this_process_drops_what_is_kept_at_once(runtime: Runtime) -> None:
    store = runtime.store
    _load(store, store.reads, b"first")
    assert store.reads.get(TOPIC, "key") == b"first"
    _create(store, "Made here")
    assert store.reads.get(TOPIC, "key") is None
    assert _load(store, store.reads, b"second") == b"second"


def test_a_read_racing_a_local_commit_is_not_trusted(runtime: Runtime) -> None:
    """A read that began before a commit of this process and ended after it may hold the old rows: it is
    kept at the revision it read, which the next check finds out of date."""
    store, cache = runtime.store, runtime.store.reads

    def racing_read() -> bytes:
        _create(store, "Committed while the read ran")
        return b"stale"

    with store.unit_of_work(system_actor("tests"), write=False) as uow:
        cache.load(uow.session, TOPIC, "key", racing_read)
    assert cache.get(TOPIC, "key") is None
    assert _load(store, cache, b"fresh") == b"fresh"


def test_only_so_many_answers_are_kept_per_topic(runtime: Runtime) -> None:
    cache = ReadCache(kept_per_topic=2)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        for key in ("a", "b", "c"):
            cache.load(uow.session, TOPIC, key, key.encode)
    assert [cache.get(TOPIC, key) for key in ("a", "b", "c")] == [None, b"b", b"c"]


def test_an_answer_with_a_max_age_is_read_again_after_it(runtime: Runtime) -> None:
    clock = Clock()
    cache = ReadCache(refresh_seconds=60.0, clock=clock)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        assert cache.load(uow.session, TOPIC, "key", lambda: 1, max_age=5.0) == 1
        clock.now += 4.0
        assert cache.get(TOPIC, "key", max_age=5.0) == 1
        assert cache.load(uow.session, TOPIC, "key", lambda: 2, max_age=5.0) == 1
        clock.now += 2.0
        assert cache.get(TOPIC, "key", max_age=5.0) is None
        assert cache.load(uow.session, TOPIC, "key", lambda: 3, max_age=5.0) == 3
