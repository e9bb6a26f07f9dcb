"""Pipeline execution from settings: the delivery config, the executor, and the `factory worker` process.

`local` runs steps in the server process (each a sandboxed subprocess). `dramatiq` sends "run attempt A of
step X" messages over Redis to `factory worker` processes; the state machine stays in the store, so a
message delivered twice runs the step once (atomic claim) and a killed worker's step is re-queued by the
reaper when its lease lapses.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from digital_factory.delivery.events import StepCancelRequested, StepQueued
from digital_factory.delivery.service import (
    DeliveryConfig,
    Executor,
    Limits,
    LocalExecutor,
    SandboxConfig,
    SecretBox,
    StepRunner,
    default_worker_id,
    reap,
)
from digital_factory.settings import ExecutorKind, Settings
from digital_factory.store.engine import make_engine
from digital_factory.store.uow import Store

log = logging.getLogger(__name__)
QUEUE = "factory-steps"
ACTOR_NAME = "run_step"
MESSAGE_SLACK_SECONDS = 120
REAP_EVERY_SECONDS = 5.0


def python_paths() -> list[Path]:
    """The Python environment the factory runs in: steps may use it (read-only) to build and test."""
    paths = {Path(sys.prefix), Path(sys.base_prefix)}
    return sorted(p for p in paths if not str(p).startswith("/usr"))


def delivery_config(settings: Settings) -> DeliveryConfig:
    sandbox = SandboxConfig.detect(
        str(settings.sandbox),
        read_only_paths=[*python_paths(), *settings.sandbox_read_only_paths],
        writable_paths=settings.sandbox_writable_paths,
        path_dirs=[str(Path(sys.prefix) / "bin")],
        limits=Limits(
            memory_bytes=settings.step_memory_mb * 1024 * 1024,
            file_size_bytes=settings.step_file_size_mb * 1024 * 1024,
            open_files=settings.step_open_files,
            pids=settings.step_pids,
            cpus=settings.step_cpus,
        ),
        kill_grace_seconds=settings.kill_grace_seconds,
        step_uid=settings.step_uid,
        step_gid=settings.step_uid,
        use_cgroups=settings.step_cgroups,
    )
    return DeliveryConfig(
        runs_dir=settings.effective_runs_dir,
        secret_box=SecretBox(settings.resolved_secret_key()),
        sandbox=sandbox,
        lease_seconds=settings.step_lease_seconds,
        max_attempts=settings.step_max_attempts,
        log_max_bytes=settings.step_log_max_bytes,
        artifact_max_bytes=settings.artifact_max_bytes,
    )


def make_broker(settings: Settings) -> RedisBroker:
    if not settings.redis_url:
        raise RuntimeError("FACTORY_EXECUTOR=dramatiq needs FACTORY_REDIS_URL (redis://host:6379/0)")
    heartbeat_ms = max(settings.step_lease_seconds * 1000, 5000)
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url, namespace=settings.redis_namespace, heartbeat_timeout=heartbeat_ms
    )


class DramatiqExecutor:
    """Sends each step attempt as a message; with a runner it also consumes them (a worker)."""

    def __init__(self, broker: RedisBroker, runner: StepRunner | None = None) -> None:
        self.broker = broker
        self.runner = runner

        def run_step(step_id: int, attempt: int) -> None:
            if self.runner is None:
                raise RuntimeError("this process only sends steps; `factory worker` runs them")
            self.runner.execute(step_id, attempt)

        declare = dramatiq.actor(
            actor_name=ACTOR_NAME,
            queue_name=QUEUE,
            broker=broker,
            max_retries=3,
            min_backoff=1000,
            max_backoff=30_000,
        )
        self.actor = declare(run_step)

    def submit(self, job: StepQueued) -> None:
        # Dramatiq's time limit is in milliseconds; the step's own timeout is enforced by the runner
        self.actor.send_with_options(
            args=(job.step_id, job.attempt),
            time_limit=(job.timeout_seconds + MESSAGE_SLACK_SECONDS) * 1000,
        )

    def cancel(self, request: StepCancelRequested) -> None:
        """Nothing to send: the runner polls its step's cancel flag with every lease renewal."""

    def stop(self) -> None:
        self.broker.close()


def make_executor(settings: Settings, store: Store, config: DeliveryConfig) -> Executor:
    if settings.executor == ExecutorKind.DRAMATIQ:
        return DramatiqExecutor(make_broker(settings))
    return LocalExecutor(StepRunner(store, config), settings.local_concurrency)


def run_worker(settings: Settings, *, on_ready: Callable[[str], None] = lambda _: None) -> None:
    """`factory worker`: consume step messages until SIGTERM/SIGINT, reaping lapsed leases meanwhile."""
    store = Store(make_engine(settings.effective_database_url))
    config = delivery_config(settings)
    runner = StepRunner(store, config, worker_id=default_worker_id())
    executor = DramatiqExecutor(make_broker(settings), runner)
    store.bus.subscribe(StepQueued, executor.submit)
    worker = dramatiq.Worker(executor.broker, queues={QUEUE}, worker_threads=settings.worker_threads)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s stopping (signal %s)", runner.worker_id, signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    on_ready(runner.worker_id)
    try:
        while not stop.wait(REAP_EVERY_SECONDS):
            try:
                reap(store, config)
            except Exception:
                log.exception("the reaper failed; trying again")
    finally:
        runner.shutting_down.set()  # running steps are killed; their leases lapse and they run elsewhere
        worker.stop(timeout=30_000)
        executor.stop()
        store.dispose()
