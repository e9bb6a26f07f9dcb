"""The OTLP receiver's turn to write: on a one-writer store (SQLite) writers take turns in the process; a
writer whose turn does not come in time is told to retry (503), never left to fail inside the store."""

from __future__ import annotations

import threading

import pytest

from digital_factory.telemetry import ingest
from digital_factory.telemetry.ingest import OtlpLimits, OtlpReceiver
from digital_factory.telemetry.otlp_wire import WireError


def test_a_second_writer_waits_for_the_turn_and_gets_it_when_the_first_is_done() -> None:
    receiver = OtlpReceiver(OtlpLimits(), one_writer=True)
    entered = threading.Event()

    def second() -> None:
        with receiver.writing():
            entered.set()

    with receiver.writing():
        thread = threading.Thread(target=second)
        thread.start()
        assert not entered.wait(0.2)  # without a turn it would be in at once
    thread.join()
    assert entered.is_set()


def test_a_writer_whose_turn_does_not_come_is_told_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "WRITER_WAIT", 0.01)
    receiver = OtlpReceiver(OtlpLimits(), one_writer=True)
    refused: list[WireError] = []

    def late() -> None:
        try:
            with receiver.writing():
                pass
        except WireError as error:
            refused.append(error)

    with receiver.writing():
        thread = threading.Thread(target=late)
        thread.start()
        thread.join()
    assert [(error.status, error.retry_after) for error in refused] == [(503, 1)]


def test_stores_with_many_writers_take_no_turns() -> None:
    receiver = OtlpReceiver(OtlpLimits())
    with receiver.writing(), receiver.writing():  # the same thread twice: no lock to wait on
        pass
