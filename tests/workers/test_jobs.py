from __future__ import annotations

import threading

import pytest

from digital_factory.workers.jobs import JobRunner


def test_submit_and_periodic_jobs() -> None:
    runner = JobRunner(max_workers=2)
    ticked = threading.Event()
    calls: list[str] = []

    def tick() -> None:
        calls.append("tick")
        ticked.set()

    runner.every("tick", 0.01, tick)
    with pytest.raises(RuntimeError):
        runner.submit("early", lambda: None)
    runner.start()
    try:
        assert runner.submit("answer", lambda: 42).result(timeout=5) == 42
        assert ticked.wait(5)
    finally:
        runner.stop()
    assert not runner.running and runner.stats()["tick"]["runs"] >= 1


def test_a_failing_periodic_job_keeps_running() -> None:
    runner = JobRunner()
    attempts = threading.Semaphore(0)

    def flaky() -> None:
        attempts.release()
        raise ValueError("boom")

    runner.every("flaky", 0.01, flaky)
    runner.start()
    try:
        assert attempts.acquire(timeout=5) and attempts.acquire(timeout=5)
    finally:
        runner.stop()
    assert runner.stats()["flaky"]["failures"] >= 2
