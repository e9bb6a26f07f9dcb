"""kill -9 between a stored push and its run starting: after a restart the run starts exactly once.

A real `factory serve` process, a real git client pushing over HTTP to the hosted repository of an onboarded
service. The test hook makes the server halt right after the push is stored (before any subscriber starts
the run); the test kills it there with SIGKILL, starts it again, and the reaper hands the push over."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from sqlalchemy import select

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import HALT_AFTER_PUSH, Runtime, build_runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter, RunSummary
from digital_factory.repos import models as repo_tables
from tests.factories import actor_of, make_user
from tests.platform.support import git, onboard, with_token
from tests.processes import eventually, factory_server, server_settings

SECRET_KEY = "push-crash-test-secret-key"
SERVICE = "engine-control"


def _runs_for(runtime: Runtime, sha: str) -> list[RunSummary]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service=SERVICE), PageRequest(limit=100)).items
    return [r for r in runs if r.commit_sha == sha]


def _push_handled(runtime: Runtime, sha: str) -> bool | None:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        handled = uow.session.scalar(select(repo_tables.Push.handled_at).where(repo_tables.Push.after == sha))
    return True if handled is not None else None


def test_a_push_stored_before_a_crash_starts_its_run_once_after_restart(tmp_path: Path, database_url: str) -> None:
    settings = server_settings(tmp_path / "home", database_url, SECRET_KEY)
    runtime = build_runtime(settings)
    make_user(runtime, "pia", Role.PLATFORM)
    erin = make_user(runtime, "erin", Role.TEAM)
    onboard(runtime, actor_of(runtime, "pia"), members=["erin"])
    runtime.executor.stop()

    work, log, halted = tmp_path / "work", tmp_path / "server.log", tmp_path / "halted"
    url = with_token(f"{settings.effective_public_url}/git/{SERVICE}.git", erin.token, "erin")
    with factory_server(settings, SECRET_KEY, log, **{HALT_AFTER_PUSH: str(halted)}) as server:
        git("clone", url, str(work))
        (work / "CHANGELOG.md").write_text("first change\n")
        git("add", "CHANGELOG.md", cwd=work)
        git("commit", "-m", "Add a changelog", cwd=work)
        head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
        pushing = subprocess.Popen(["git", "push", "origin", "main"], cwd=work, env=_git_env(work))
        eventually("the push to be stored", lambda: halted.exists() or None)
        server.send_signal(signal.SIGKILL)
        server.wait(30)
        pushing.wait(60)
    assert _push_handled(runtime, head) is None
    assert _runs_for(runtime, head) == []  # the push is stored, its run never started

    with factory_server(settings, SECRET_KEY, log):
        eventually("the reaper to mark the push handled", lambda: _push_handled(runtime, head))
        runs = eventually("the run of the push", lambda: _runs_for(runtime, head) or None)
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
