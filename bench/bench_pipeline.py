"""Pipeline orchestration: overhead per step beside the same subprocesses run directly; push to first step.

Everything runs in this process on a fresh embedded store with the in-process executor (the default).
- 50 sequential `true` steps through the executor (claim, checkout, sandbox, log, lease, finish, advance)
  beside the same 50 sandboxed `true` subprocesses started directly;
- the same sandboxed `true` beside a plain `sh -c true` (the price of bubblewrap + rlimits);
- a push (the `PushReceived` event) to the first step started, beside a bare checkout of that commit.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.harness import Result
from digital_factory.app.factory import Runtime, build_runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import sandbox
from digital_factory.delivery import service as delivery
from digital_factory.delivery.events import RunFinished
from digital_factory.delivery.schemas import RunFilter, RunRequest
from digital_factory.delivery.sources import Repository, checkout
from digital_factory.repos.events import PushReceived
from digital_factory.settings import Settings
from digital_factory.store import schema

STEPS = 50
PUSHES = 10
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin",
}


def _pipeline() -> str:
    lines = ["version: 1", "stages:", "  - name: trues", "    steps:"]
    for index in range(STEPS):
        needs = f", needs: [t{index - 1}]" if index else ""
        lines.append(f"      - {{name: t{index}, run: 'true'{needs}}}")
    return "\n".join(lines) + "\n"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


def _repository(root: Path) -> tuple[Path, Path]:
    bare, work = root / "origin.git", root / "work"
    _git("init", "-q", "--bare", "-b", "main", str(bare), cwd=root)
    _git("init", "-q", "-b", "main", str(work), cwd=root)
    (work / ".factory").mkdir()
    (work / ".factory" / "pipeline.yml").write_text(_pipeline())
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "fifty trues", cwd=work)
    _git("remote", "add", "origin", str(bare), cwd=work)
    _git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    return bare, work


def _runtime(home: Path) -> Runtime:
    runtime = build_runtime(Settings(home=home, secret_key="bench-secret-key", log_level="WARNING"))  # noqa: S106
    schema.upgrade(runtime.store.engine)
    return runtime


def _wait_finished(runtime: Runtime, finished: threading.Event, run_id: int) -> None:
    """Until the run's `RunFinished` event (polling the run's whole view every few ms, as the bench once
    did, took the CPU and the interpreter from the steps it measured)."""
    assert finished.wait(600), "the run did not finish"
    with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
        run = delivery.get_run(uow, run_id)
    assert run.status == "passed", run.error


def _direct(config: sandbox.SandboxConfig, root: Path, count: int) -> float:
    """Seconds per sandboxed `true`, started the way the runner starts a step."""
    started = time.perf_counter()
    for index in range(count):
        attempt = root / f"direct-{index}"
        workdir = attempt / "ws"
        workdir.mkdir(parents=True)
        outcome = sandbox.run(
            config,
            sandbox.Step("true", attempt, workdir),
            env={"PATH": sandbox.step_path(config)},
            timeout_seconds=60,
            cancelled=threading.Event(),
            on_output=lambda _: None,
            cpu_seconds=60,
        )
        assert outcome.exit_code == 0
    return (time.perf_counter() - started) / count


def _plain(count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        subprocess.run(["sh", "-c", "true"], check=True)
    return (time.perf_counter() - started) / count


def _push_to_first_step(runtime: Runtime, bare: Path, work: Path) -> float:
    """Median seconds from publishing a push to the first step's start (as the store records it)."""
    samples = []
    for index in range(PUSHES):
        (work / "n.txt").write_text(str(index))
        _git("add", "-A", cwd=work)
        _git("commit", "-q", "-m", f"push {index}", cwd=work)
        before = _git("rev-parse", "HEAD~1", cwd=work).strip()
        _git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
        after = _git("rev-parse", "HEAD", cwd=work).strip()
        started = time.perf_counter()
        runtime.store.bus.publish(
            PushReceived(
                repository_key="bench",
                service_key="bench",
                git_dir=str(bare),
                ref="refs/heads/main",
                before=before,
                after=after,
                pusher="bench",
            )
        )
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            run_id = delivery.list_runs(uow, RunFilter(service="bench"), PageRequest(limit=1)).items[0].id
        while True:
            with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
                run = delivery.get_run(uow, run_id)
            if run.stages[0].steps[0].started_at is not None:
                samples.append(time.perf_counter() - started)
                break
            time.sleep(0.002)
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            delivery.cancel_run(uow, run_id)
    return sorted(samples)[len(samples) // 2]


def _checkout(bare: Path, root: Path) -> float:
    repository = Repository.open(str(bare), root / "mirrors")
    sha = repository.resolve("main")
    started = time.perf_counter()
    for index in range(PUSHES):
        checkout(repository, sha, root / f"checkout-{index}")
    return (time.perf_counter() - started) / PUSHES


def run() -> list[Result]:
    root = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        bare, work = _repository(root)
        runtime = _runtime(root / "home")
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            catalog.register_service(
                uow,
                ServiceCreate(
                    key="bench", name="Bench", repository_url=str(bare), environments=[EnvironmentSpec(name="dev")]
                ),
            )
        config = runtime.delivery.sandbox
        _direct(config, root / "warm", 3)
        direct = _direct(config, root / "direct", STEPS)
        plain = _plain(STEPS)
        finished = threading.Event()
        runtime.store.bus.subscribe(RunFinished, lambda _event: finished.set())
        started = time.perf_counter()
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            run_id = delivery.start_run(uow, runtime.delivery, "bench", RunRequest()).id
        _wait_finished(runtime, finished, run_id)
        per_step = (time.perf_counter() - started) / STEPS
        push = _push_to_first_step(runtime, bare, work)
        clone = _checkout(bare, root)
        runtime.executor.stop()
        runtime.store.dispose()
        isolation = config.isolation
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return [
        Result(
            f"pipeline step, in-process executor ({STEPS} sequential `true` steps, {isolation})",
            per_step * 1000,
            "ms/step",
            f"the same sandboxed `true` started directly ({STEPS}x)",
            direct * 1000,
            higher_is_better=False,
        ),
        Result(
            f"sandboxed `true` ({isolation} + rlimits)",
            direct * 1000,
            "ms/step",
            "plain `sh -c true`",
            plain * 1000,
            higher_is_better=False,
        ),
        Result(
            f"push to first step started (median of {PUSHES})",
            push * 1000,
            "ms",
            "one checkout of the commit (git clone --shared + checkout)",
            clone * 1000,
            higher_is_better=False,
        ),
    ]
