"""The in-process executor's stop: it waits for running steps and starts none while it stops."""

from __future__ import annotations

import threading
from typing import cast

from digital_factory.delivery.events import StepQueued
from digital_factory.delivery.executors import LocalExecutor
from digital_factory.delivery.runner import StepRunner


def _queued(step_id: int) -> StepQueued:
    return StepQueued(run_id=1, step_id=step_id, attempt=1, timeout_seconds=60)


class _Runner:
    """Stands in for `StepRunner`: step 1 finishes as the executor stops and queues step 2, as a finishing
    step queues the next one."""

    def __init__(self) -> None:
        self.shutting_down = threading.Event()
        self.started = threading.Event()
        self.ran: list[int] = []
        self.executor: LocalExecutor | None = None
        self.done = threading.Event()

    def execute(self, step_id: int, attempt: int, cancel: threading.Event) -> None:
        self.ran.append(step_id)
        self.done.set()
        if step_id == 1:
            self.started.set()
            assert cancel.wait(10), "the stop never came"
            assert self.executor is not None
            self.executor.submit(_queued(2))


def test_a_step_queued_while_the_executor_stops_is_left_for_the_reaper() -> None:
    runner = _Runner()
    executor = LocalExecutor(cast(StepRunner, runner))
    runner.executor = executor
    executor.submit(_queued(1))
    assert runner.started.wait(10)

    executor.stop()

    assert runner.ran == [1]  # step 2 stays queued; no pool was started again behind the stop
    assert runner.shutting_down.is_set()
    # once stopped, the next submit starts the executor again (a server's next start)
    runner.done.clear()
    executor.submit(_queued(3))
    assert runner.done.wait(10)
    executor.stop()
    assert runner.ran == [1, 3]
