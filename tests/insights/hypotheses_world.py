"""Hypothesis test data through the front door: epics with leading indicators (portfolio use-cases) and
business events (telemetry's business use-case) at chosen moments before now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.portfolio.schemas import Direction, IndicatorSpec
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import BusinessEvent

UNITS = 'sum(business.units_sold{product="heavy-lift"}[30d])'
CALLS = "sum(support.calls[30d])"
FAR = date.today() + timedelta(days=200)


def units(target: float = 50, *, deadline: date = FAR, **fields: Any) -> IndicatorSpec:
    return IndicatorSpec(
        name="Heavy-lift units", metric_query=UNITS, baseline=0, target=target, deadline=deadline, **fields
    )


def calls(*, deadline: date = FAR, **fields: Any) -> IndicatorSpec:
    """Support calls down from 400 to 100 (a decreasing indicator)."""
    return IndicatorSpec(
        name="Support calls",
        metric_query=CALLS,
        baseline=400,
        target=100,
        direction=Direction.DECREASE,
        deadline=deadline,
        **fields,
    )


def sell(runtime: Runtime, *counts: int, hours_ago: float = 1, product: str = "heavy-lift") -> None:
    """One units_sold event per count, a minute apart, ending `hours_ago` before now."""
    end = datetime.now(UTC) - timedelta(hours=hours_ago)
    events = [
        BusinessEvent.model_validate(
            {
                "kind": "units_sold",
                "service": "fleet-api",
                "count": count,
                "at": (end - timedelta(minutes=i)).isoformat(),
                "attributes": {"product": product},
            }
        )
        for i, count in enumerate(counts)
    ]
    _record(runtime, events)


def metric(runtime: Runtime, name: str, *values: float, hours_ago: float = 1) -> None:
    end = datetime.now(UTC) - timedelta(hours=hours_ago)
    events = [
        BusinessEvent.model_validate(
            {
                "kind": "custom",
                "service": "fleet-api",
                "metric": name,
                "value": value,
                "at": (end - timedelta(minutes=i)).isoformat(),
            }
        )
        for i, value in enumerate(values)
    ]
    _record(runtime, events)


def _record(runtime: Runtime, events: list[BusinessEvent]) -> None:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        telemetry.record_business_events(uow, telemetry.BusinessRequest(events))
