"""The in-process job runner started in the server's lifespan.

Later capabilities plug in through two calls: `submit` (run once, soon) and `every` (run periodically).
Jobs are plain callables run in worker threads, so they may use the synchronous store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Job = Callable[[], object]


@dataclass
class _Periodic:
    name: str
    interval_seconds: float
    job: Job
    runs: int = 0
    failures: int = 0


@dataclass
class JobRunner:
    max_workers: int = 4
    _pool: ThreadPoolExecutor | None = None
    _periodic: list[_Periodic] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        if self._pool is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="factory-job")
        for periodic in self._periodic:
            self._start_loop(periodic)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def running(self) -> bool:
        return self._pool is not None

    def submit(self, name: str, job: Job) -> Future[object]:
        """Run `job` once in the background; failures are logged, never lost silently."""
        if self._pool is None:
            raise RuntimeError("the job runner is not started")
        future = self._pool.submit(job)
        future.add_done_callback(lambda done: _log_failure(name, done))
        return future

    def every(self, name: str, interval_seconds: float, job: Job) -> None:
        """Run `job` every `interval_seconds` while the runner is started (first run after one interval)."""
        periodic = _Periodic(name=name, interval_seconds=interval_seconds, job=job)
        self._periodic.append(periodic)
        if self._pool is not None:
            self._start_loop(periodic)

    def stats(self) -> dict[str, dict[str, int]]:
        return {p.name: {"runs": p.runs, "failures": p.failures} for p in self._periodic}

    def _start_loop(self, periodic: _Periodic) -> None:
        thread = threading.Thread(target=self._loop, args=(periodic,), name=f"factory-{periodic.name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _loop(self, periodic: _Periodic) -> None:
        while not self._stop.wait(periodic.interval_seconds):
            try:
                periodic.job()
            except Exception:
                periodic.failures += 1
                log.exception("periodic job %s failed", periodic.name)
            periodic.runs += 1


def _log_failure(name: str, done: Future[object]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("job %s failed", name, exc_info=done.exception())
