"""Real Redis, real `factory worker` processes, a PostgreSQL store: steps run exactly once, lost workers'
steps run again elsewhere, nothing stays "running"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from dramatiq import Message

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, build_runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import service as delivery
from digital_factory.delivery.events import StepQueued
from digital_factory.delivery.schemas import RunRequest, Status
from digital_factory.settings import ExecutorKind, Settings
from digital_factory.workers.pipelines import QUEUE, DramatiqExecutor
from tests.delivery.gitrepo import make_repo, wait_for
from tests.delivery.owners import owning_team
from tests.factories import actor_of, make_user

SECRET_KEY = "distributed-test-secret-key"
RUNS = 20


@dataclass
class Workers:
    processes: list[subprocess.Popen[str]]
    logs: list[Path]

    def pid_of(self, worker_id: str) -> int:
        pid = int(worker_id.rsplit("/", 1)[1])
        assert pid in [p.pid for p in self.processes], worker_id
        return pid


@pytest.fixture
def distributed(backend: str, database_url: str, redis: str, tmp_path: Path) -> Iterator[tuple[Runtime, Workers, Path]]:
    if backend != "postgresql":
        pytest.skip("the distributed executor is exercised on PostgreSQL (several processes share the store)")
    namespace = f"factory-test-{uuid.uuid4().hex[:8]}"
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    ledger.chmod(0o777)  # shared with the steps, which run as an unprivileged uid when the tests run as root
    env = {
        **os.environ,
        "FACTORY_DATABASE_URL": database_url,
        "FACTORY_EXECUTOR": "dramatiq",
        "FACTORY_REDIS_URL": redis,
        "FACTORY_REDIS_NAMESPACE": namespace,
        "FACTORY_SECRET_KEY": SECRET_KEY,
        "FACTORY_SANDBOX_WRITABLE_PATHS": f'["{ledger}"]',
        "FACTORY_STEP_LEASE_SECONDS": "3",
        "FACTORY_WORKER_THREADS": "2",
        "FACTORY_LOG_LEVEL": "WARNING",
    }
    settings = Settings(
        home=tmp_path / "server",
        database_url=database_url,
        secret_key=SECRET_KEY,
        executor=ExecutorKind.DRAMATIQ,
        redis_url=redis,
        redis_namespace=namespace,
        step_lease_seconds=3,
    )
    runtime = build_runtime(settings)
    processes, logs = [], []
    for index in range(2):
        log = tmp_path / f"worker-{index}.log"
        with log.open("w") as handle:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "digital_factory", "worker"],
                    env={**env, "FACTORY_HOME": str(tmp_path / f"worker-{index}")},
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        logs.append(log)
    deadline = time.monotonic() + 60
    while not all("ready" in log.read_text() for log in logs):
        assert time.monotonic() < deadline, [log.read_text() for log in logs]
        assert all(p.poll() is None for p in processes), [log.read_text() for log in logs]
        time.sleep(0.1)
    try:
        yield runtime, Workers(processes, logs), ledger
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        runtime.executor.stop()
        runtime.store.dispose()
        client = redis_client.Redis.from_url(redis)
        for key in client.scan_iter(f"{namespace}*"):
            client.delete(key)
        client.close()


def _pipeline(ledger: Path) -> str:
    record = f'echo "$FACTORY_RUN_ID $FACTORY_STEP $FACTORY_STEP_ATTEMPT" >> {ledger}/ledger.txt'
    slow = f'if [ -f slow ] && [ "$FACTORY_STEP_ATTEMPT" = 1 ]; then echo started >> {ledger}/slow.txt; sleep 287; fi'
    return f"""\
version: 1
stages:
  - name: build
    steps:
      - name: compile
        run: {record}
        artifacts: [.factory]
      - name: lint
        run: {record}
  - name: test
    steps:
      - name: unit
        run: |
          {slow}
          {record}
"""


def _submit_and_capture(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, job: StepQueued) -> str:
    """Submit through the executor as the state machine does; returns the id of the message it sent."""
    executor = runtime.executor
    assert isinstance(executor, DramatiqExecutor)
    sent: list[Message[object]] = []
    send = executor.actor.send_with_options

    def recording_send(**options: Any) -> Message[object]:
        message = send(**options)
        sent.append(message)
        return message

    monkeypatch.setattr(executor.actor, "send_with_options", recording_send)
    executor.submit(job)
    monkeypatch.undo()
    [message] = sent
    return message.message_id


def _wait_until_acknowledged(redis_url: str, namespace: str, message_id: str, timeout: float = 60) -> None:
    """A worker fetched the message, handled it without an error (no retry, no dead letter) and acked it:
    the broker then forgets it. That is the proof a worker processed it, not just that time passed."""
    client = redis_client.Redis.from_url(redis_url)
    pending = [f"{namespace}:{QUEUE}.msgs", f"{namespace}:{QUEUE}.DQ.msgs"]
    dead = f"{namespace}:{QUEUE}.XQ.msgs"
    deadline = time.monotonic() + timeout
    try:
        while any(client.hexists(key, message_id) for key in pending):
            assert time.monotonic() < deadline, "no worker acknowledged the duplicate message"
            assert not client.hexists(dead, message_id), "the duplicate message failed in the worker"
            time.sleep(0.05)
        assert not client.hexists(dead, message_id), "the duplicate message failed in the worker"
    finally:
        client.close()


def test_two_workers_run_every_step_exactly_once_and_survive_a_killed_worker(
    distributed: tuple[Runtime, Workers, Path], tmp_path: Path, redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, workers, ledger = distributed
    make_user(runtime, "fiona", Role.TEAM)
    crew = owning_team(runtime, "fiona")  # runs are for the service's owning team
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": _pipeline(ledger)})
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="drone-api",
                name="Drone API",
                owner_team=crew,
                repository_url=str(repo.bare),
                environments=[EnvironmentSpec(name="dev")],
            ),
        )
    fiona = actor_of(runtime, "fiona")
    run_ids = []
    for _ in range(RUNS):
        with runtime.store.unit_of_work(fiona) as uow:
            run_ids.append(delivery.start_run(uow, runtime.delivery, "drone-api", RunRequest()).id)
    runs = [wait_for(runtime, run_id, lambda r: r.status.finished, timeout=120) for run_id in run_ids]
    assert [r.status for r in runs] == [Status.PASSED] * RUNS, [r.error for r in runs]
    ledger_lines = Counter((ledger / "ledger.txt").read_text().splitlines())
    expected = {f"{run_id} {step} 1" for run_id in run_ids for step in ("compile", "lint", "unit")}
    assert set(ledger_lines) == expected
    assert all(count == 1 for count in ledger_lines.values()), ledger_lines.most_common(3)
    used = {step.worker for run in runs for stage in run.stages for step in stage.steps}
    assert len(used) == 2, f"both workers took steps: {used}"

    # at-least-once delivery: a duplicate message for a finished step changes nothing
    step = runs[0].stages[0].steps[0]
    message_id = _submit_and_capture(
        runtime, monkeypatch, StepQueued(run_id=runs[0].id, step_id=step.id, attempt=1, timeout_seconds=60)
    )
    _wait_until_acknowledged(redis, runtime.settings.redis_namespace, message_id)
    assert Counter((ledger / "ledger.txt").read_text().splitlines()) == ledger_lines

    # a worker killed mid-step: the step runs again on the other worker; the run ends
    repo.commit({"slow": "this commit's unit step hangs on its first attempt\n"}, "Make the unit step slow")
    repo.push("slow")
    with runtime.store.unit_of_work(fiona) as uow:
        slow_id = delivery.start_run(uow, runtime.delivery, "drone-api", RunRequest(ref="slow")).id
    running = wait_for(runtime, slow_id, lambda r: r.stages[1].steps[0].status == Status.RUNNING, timeout=60)
    victim = running.stages[1].steps[0].worker
    assert victim is not None
    deadline = time.monotonic() + 30
    while not (ledger / "slow.txt").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(workers.pid_of(victim), signal.SIGKILL)
    done = wait_for(runtime, slow_id, lambda r: r.status.finished, timeout=90)
    unit = done.stages[1].steps[0]
    assert done.status == Status.PASSED, done.model_dump_json(indent=1)
    assert unit.attempt == 2 and unit.worker != victim
    assert f"{slow_id} unit 2" in (ledger / "ledger.txt").read_text().splitlines()
    orphans = subprocess.run(["pgrep", "-f", "sleep 287"], check=False, capture_output=True, text=True)
    assert orphans.stdout == "", f"the killed worker's step left processes: {orphans.stdout}"
    with runtime.store.unit_of_work(fiona, write=False) as uow:
        log = delivery.step_log(uow, slow_id, unit.id, attempt=1)
    assert "stopped renewing its lease" in "".join(c.text for c in log.chunks)
