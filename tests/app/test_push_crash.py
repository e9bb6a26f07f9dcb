"""kill -9 between a stored push and its run starting: after a restart the run starts exactly once.

A real `factory serve` process, a real git client pushing over HTTP to the hosted repository of an onboarded
service. The test hook makes the server halt right after the push is stored (before any subscriber starts
the run); the test kills it there with SIGKILL, starts it again, and the reaper hands the push over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
from sqlalchemy import select

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import HALT_AFTER_PUSH, Runtime, build_runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter, RunSummary
from digital_factory.repos import models as repo_tables
from digital_factory.settings import Settings
from tests.browser import free_port
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard, with_token

SECRET_KEY = "push-crash-test-secret-key"
SERVICE = "engine-control"
T = TypeVar("T")


def _eventually(what: str, probe: Callable[[], T | None], timeout: float = 90) -> T:
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


@contextmanager
def _server(settings: Settings, log: Path, **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FACTORY_HOME": str(settings.home),
        "FACTORY_DATABASE_URL": settings.effective_database_url,
        "FACTORY_SECRET_KEY": SECRET_KEY,
        "FACTORY_PORT": str(settings.port),
        "FACTORY_HOST": "127.0.0.1",
        "FACTORY_PUBLIC_URL": settings.effective_public_url,
        **extra_env,
    }
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "digital_factory", "serve"], env=env, stdout=out, stderr=out)
    try:
        _eventually("the server to answer", lambda: _healthy(settings, process, log))
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(settings: Settings, process: subprocess.Popen[bytes], log: Path) -> bool | None:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"{settings.effective_public_url}/healthz", timeout=2).status_code == 200 or None
    except httpx.HTTPError:
        return None


def _runs_for(runtime: Runtime, sha: str) -> list[RunSummary]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service=SERVICE), PageRequest(limit=100)).items
    return [r for r in runs if r.commit_sha == sha]


def _push_handled(runtime: Runtime, sha: str) -> bool | None:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        handled = uow.session.scalar(select(repo_tables.Push.handled_at).where(repo_tables.Push.after == sha))
    return True if handled is not None else None


def test_a_push_stored_before_a_crash_starts_its_run_once_after_restart(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    settings = Settings(
        home=tmp_path / "home",
        database_url=database_url,
        secret_key=SECRET_KEY,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    runtime = build_runtime(settings)
    make_user(runtime, "pia", Role.PLATFORM)
    erin = make_user(runtime, "erin", Role.TEAM)
    onboard(runtime, actor_of(runtime, "pia"), members=["erin"])
    runtime.executor.stop()

    work, log, halted = tmp_path / "work", tmp_path / "server.log", tmp_path / "halted"
    url = with_token(f"{settings.effective_public_url}/git/{SERVICE}.git", erin.token, "erin")
    with _server(settings, log, **{HALT_AFTER_PUSH: str(halted)}) as server:
        git("clone", url, str(work))
        (work / "CHANGELOG.md").write_text("first change\n")
        git("add", "CHANGELOG.md", cwd=work)
        git("commit", "-m", "Add a changelog", cwd=work)
        head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
        pushing = subprocess.Popen(["git", "push", "origin", "main"], cwd=work, env=_git_env(work))
        _eventually("the push to be stored", lambda: halted.exists() or None)
        server.send_signal(signal.SIGKILL)
        server.wait(30)
        pushing.wait(60)
    assert _push_handled(runtime, head) is None
    assert _runs_for(runtime, head) == []  # the push is stored, its run never started

    with _server(settings, log):
        _eventually("the reaper to mark the push handled", lambda: _push_handled(runtime, head))
        runs = _eventually("the run of the push", lambda: _runs_for(runtime, head) or None)
    assert [(r.trigger, r.triggered_by) for r in runs] == [("push", "erin")]
    runtime.store.dispose()


def _git_env(cwd: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
