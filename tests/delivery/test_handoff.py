"""The push handoff is durable: a stored push nobody handed over gets its run from the reaper, and however
the subscriber and the reaper race, a push starts exactly one run."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter
from digital_factory.repos import service as repos
from digital_factory.repos.events import PushReceived
from digital_factory.repos.schemas import RepositoryCreate
from tests.delivery.gitrepo import git, make_repo

PIPELINE = "version: 1\nstages:\n  - name: build\n    steps:\n      - name: hello\n        run: echo hello\n"
KEY = "drone-api"
NOW = timedelta(0)  # the reaper's grace, waived: the tests decide when a push counts as abandoned


def _hosted_service(runtime: Runtime, tmp_path: Path) -> list[tuple[str, str, str]]:
    """A service with a hosted repository holding a pipeline; returns the ref update of pushing to it."""
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        repos.create_repository(uow, runtime.repo_host, RepositoryCreate(key=KEY, service_key=KEY))
        catalog.register_service(
            uow,
            ServiceCreate(
                key=KEY,
                name=KEY,
                repository_url=str(runtime.repo_host.path(KEY)),
                environments=[EnvironmentSpec(name="dev")],
            ),
        )
    repo = make_repo(tmp_path / "work", {".factory/pipeline.yml": PIPELINE})
    git("push", "-q", str(runtime.repo_host.path(KEY)), "HEAD:refs/heads/main", cwd=repo.work)
    after = git("rev-parse", "HEAD", cwd=repo.work).strip()
    return [("refs/heads/main", repos.ZERO_SHA, after)]


def _store_push_and_crash(runtime: Runtime, updates: list[tuple[str, str, str]]) -> list[PushReceived]:
    """The push is committed, but the process dies before any subscriber hears of it."""
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        repos.record_push(uow, runtime.repo_host, KEY, updates, pusher="fiona")
        events = [e for e in uow.pending_events if isinstance(e, PushReceived)]
        uow.pending_events.clear()
    return events


def _runs(runtime: Runtime) -> list[str]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        page = delivery.list_runs(uow, RunFilter(service=KEY), PageRequest())
    return [f"{r.trigger}:{r.commit_sha}:{r.triggered_by}" for r in page.items]


def test_the_reaper_starts_the_run_of_a_push_whose_subscriber_never_ran(runtime: Runtime, tmp_path: Path) -> None:
    updates = _hosted_service(runtime, tmp_path)
    _store_push_and_crash(runtime, updates)
    assert _runs(runtime) == []
    assert delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host) == 0  # within the grace
    assert delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host, grace=NOW) == 1
    assert _runs(runtime) == [f"push:{updates[0][2]}:fiona"]
    assert delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host, grace=NOW) == 0
    assert _runs(runtime) == [f"push:{updates[0][2]}:fiona"]


def test_a_handled_push_is_not_started_again_by_the_reaper(runtime: Runtime, tmp_path: Path) -> None:
    updates = _hosted_service(runtime, tmp_path)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:  # the subscriber hears it after commit
        repos.record_push(uow, runtime.repo_host, KEY, updates, pusher="fiona")
    assert len(_runs(runtime)) == 1
    assert delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host, grace=NOW) == 0
    assert len(_runs(runtime)) == 1


def test_subscriber_and_reaper_racing_for_one_push_start_one_run(runtime: Runtime, tmp_path: Path) -> None:
    updates = _hosted_service(runtime, tmp_path)
    [event] = _store_push_and_crash(runtime, updates)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def subscriber() -> None:
        barrier.wait()
        delivery.start_for_push(runtime.store, runtime.delivery, event)

    def reaper() -> None:
        barrier.wait()
        delivery.reap_pushes(runtime.store, runtime.delivery, runtime.repo_host, grace=NOW)

    def guarded(work: object) -> threading.Thread:
        def target() -> None:
            try:
                work()  # type: ignore[operator]
            except BaseException as exc:
                errors.append(exc)

        return threading.Thread(target=target)

    threads = [guarded(subscriber), guarded(subscriber), guarded(reaper), guarded(reaper)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert _runs(runtime) == [f"push:{updates[0][2]}:fiona"]


def test_a_push_that_starts_nothing_is_marked_handled_too(runtime: Runtime, tmp_path: Path) -> None:
    updates = _hosted_service(runtime, tmp_path)
    [event] = _store_push_and_crash(runtime, [(ref, after, repos.ZERO_SHA) for ref, _, after in updates])
    assert delivery.start_for_push(runtime.store, runtime.delivery, event) is None
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        assert repos.unhandled_pushes(uow, runtime.repo_host, pushed_before=runtime.store.clock.now()) == []
