"""The event bus: every subscriber runs, and a failing one is raised to the publisher, never only logged."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from digital_factory.core.events import DomainEvent, EventBus, HandlersFailed


@dataclass(frozen=True)
class Pinged(DomainEvent):
    n: int


@dataclass(frozen=True)
class LoudPinged(Pinged):
    pass


def test_handlers_run_in_order_and_subscribers_of_a_base_class_hear_subclasses() -> None:
    bus = EventBus()
    heard: list[tuple[str, int]] = []
    bus.subscribe(Pinged, lambda e: heard.append(("base", e.n)))
    bus.subscribe(LoudPinged, lambda e: heard.append(("loud", e.n)))
    bus.publish(LoudPinged(1))
    bus.publish(Pinged(2))
    assert heard == [("loud", 1), ("base", 1), ("base", 2)]


def test_a_failing_handler_does_not_stop_the_others_and_is_raised_after_them() -> None:
    bus = EventBus()
    heard: list[int] = []

    def broken(event: Pinged) -> None:
        raise RuntimeError(f"cannot handle {event.n}")

    bus.subscribe(Pinged, broken)
    bus.subscribe(Pinged, lambda e: heard.append(e.n))
    with pytest.raises(HandlersFailed) as raised:
        bus.publish(Pinged(7))
    assert heard == [7]
    assert [str(e) for e in raised.value.exceptions] == ["cannot handle 7"]


def test_no_subscriber_is_fine() -> None:
    EventBus().publish(Pinged(1))


def test_a_failure_for_one_event_does_not_keep_the_next_events_from_being_published() -> None:
    bus = EventBus()
    heard: list[int] = []

    def broken_on_one(event: Pinged) -> None:
        if event.n == 1:
            raise RuntimeError("cannot handle 1")
        heard.append(event.n)

    bus.subscribe(Pinged, broken_on_one)
    with pytest.raises(HandlersFailed) as raised:
        bus.publish_all([Pinged(1), Pinged(2), Pinged(3)])
    assert heard == [2, 3]
    assert [str(e) for e in raised.value.exceptions] == ["cannot handle 1"]
