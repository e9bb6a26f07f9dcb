"""One executor interface: "run attempt A of step X" (and "stop step X"). The state machine never sees which.

`LocalExecutor` (the default) runs steps in a thread pool of the server process, each as a sandboxed
subprocess. The distributed executor (Dramatiq on Redis) lives in `workers`; both call `StepRunner.execute`.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from digital_factory.delivery.events import StepCancelRequested, StepQueued
from digital_factory.delivery.runner import StepRunner

log = logging.getLogger(__name__)


class Executor(Protocol):
    def submit(self, job: StepQueued) -> None:
        """Arrange for the step attempt to run (at least once; duplicates are harmless)."""

    def cancel(self, request: StepCancelRequested) -> None:
        """Stop the step soon if it runs here (the lease poll catches it anyway)."""

    def stop(self) -> None: ...


class LocalExecutor:
    """Steps in worker threads of this process, `concurrency` at a time."""

    def __init__(self, runner: StepRunner, concurrency: int = 2) -> None:
        self.runner = runner
        self.concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: dict[int, threading.Event] = {}
        self._stopping = False

    def submit(self, job: StepQueued) -> None:
        """Run the attempt in a worker thread (after a `stop`, the next submit starts the pool again). While
        `stop` waits for the running steps, a step one of them queues is left queued: the reaper announces it
        again, to whichever process runs steps then."""
        with self._lock:
            if self._stopping:
                log.info("step %s queued while the executor stops: left for the reaper", job.step_id)
                return
            if self._pool is None:
                self.runner.shutting_down.clear()
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="factory-step")
            future = self._pool.submit(self._execute, job)
        future.add_done_callback(_log_failure)

    def _execute(self, job: StepQueued) -> None:
        cancel = threading.Event()
        with self._lock:
            self._running[job.step_id] = cancel
        try:
            self.runner.execute(job.step_id, job.attempt, cancel)
        finally:
            with self._lock:
                if self._running.get(job.step_id) is cancel:
                    del self._running[job.step_id]

    def cancel(self, request: StepCancelRequested) -> None:
        with self._lock:
            event = self._running.get(request.step_id)
        if event is not None:
            event.set()

    def stop(self) -> None:
        """Stop running steps without recording an outcome: their leases lapse and the reaper re-queues them."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopping = True
            self.runner.shutting_down.set()
            for event in self._running.values():
                event.set()
        try:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            with self._lock:
                self._stopping = False


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a pipeline step failed in the executor", exc_info=future.exception())
