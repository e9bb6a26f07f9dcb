"""Domain events: how a lower domain tells higher ones that something happened, without importing them."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Base class; concrete events are frozen dataclasses in each domain's `events.py`."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]


class EventBus:
    """In-process publish/subscribe. Events are published only after their transaction commits."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)

    def publish_all(self, events: list[DomainEvent]) -> None:
        """Publish each event in order; a failing subscriber of one does not keep the later ones from being
        published, and every failure is raised together at the end."""
        failures: list[Exception] = []
        for event in events:
            try:
                self.publish(event)
            except HandlersFailed as failed:
                failures.extend(failed.exceptions)
        if failures:
            raise HandlersFailed(f"{len(failures)} handler(s) failed for {len(events)} event(s)", failures)

    def publish(self, event: DomainEvent) -> None:
        """Call every handler; if any failed, raise `HandlersFailed` once all have run (the caller sees it:
        a subscriber's failure is never only a log line). A handler whose work must survive a crash keeps
        its own durable record (the push handoff does) rather than relying on this call."""
        failures: list[Exception] = []
        for event_type in type(event).__mro__:
            for handler in self._handlers.get(event_type, ()):
                try:
                    handler(event)
                except Exception as exc:  # one failing subscriber must not stop the others
                    log.exception("event handler %r failed for %r", handler, event)
                    failures.append(exc)
        if failures:
            raise HandlersFailed(f"{len(failures)} handler(s) failed for {type(event).__name__}", failures)


class HandlersFailed(ExceptionGroup[Exception]):
    """One or more subscribers of an event failed (every subscriber was still called)."""
