"""Hypothesis evaluation on read: an epic's evaluation (two indicators, their sample sizes and charts) and
the board's cards (20 Implementing epics, two indicators each) beside the bare indicator queries they rest
on (`telemetry.evaluate` of each metric query), over 28 days of business events, in the same run.

The events go in through telemetry's business use-case (the product's front door), 2,000 a request."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bench.harness import Result, each_store, seconds
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.insights import service as insights
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate, IndicatorSpec
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import BusinessEvent

EVENTS = 20_160  # one every 2 minutes for 28 days
CHUNK = 2_000
EPICS = 20
REPEAT = 9
QUERIES = (
    'sum(business.units_sold{product="heavy-lift"}[30d])',
    'ratio(sum(business.units_sold{product="heavy-lift"}[7d]), sum(business.units_sold[7d]))',
)
ACTOR = system_actor("bench")


def run() -> list[Result]:
    results: list[Result] = []
    for backend, runtime in each_store():
        took = seconds(lambda: _data(runtime))  # noqa: B023  (called at once)
        print(f"  {backend}: {EVENTS:,} business events and {EPICS} epics made in {took:.1f} s")
        results += _measure(runtime, backend)
    return results


def _data(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    with runtime.store.unit_of_work(ACTOR) as uow:
        catalog.register_service(uow, ServiceCreate(key="fleet-api", name="Fleet API"))
    for start in range(0, EVENTS, CHUNK):
        events = [
            BusinessEvent.model_validate(
                {
                    "kind": "units_sold",
                    "service": "fleet-api",
                    "count": 1 + n % 3,
                    "at": (now - timedelta(minutes=2 * n + 1)).isoformat(),
                    "attributes": {"product": "heavy-lift" if n % 4 else "light"},
                }
            )
            for n in range(start, min(start + CHUNK, EVENTS))
        ]
        with runtime.store.unit_of_work(ACTOR) as uow:
            telemetry.record_business_events(uow, telemetry.BusinessRequest(events))
    deadline = date.today() + timedelta(days=90)
    indicators = [
        IndicatorSpec(
            name=f"indicator {n}", metric_query=q, baseline=0, target=10_000 if n == 0 else 0.9, deadline=deadline
        )
        for n, q in enumerate(QUERIES)
    ]
    with runtime.store.unit_of_work(ACTOR) as uow:
        for n in range(EPICS):
            portfolio.create_epic(uow, EpicCreate(title=f"Epic {n}", leading_indicators=indicators))


def _median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _measure(runtime: Runtime, backend: str) -> list[Result]:
    theta = insights.Thresholds()
    keys = [f"EPIC-{n + 1}" for n in range(EPICS)]

    def read(work: Callable[[UnitOfWork], object]) -> Callable[[], object]:
        def once() -> object:
            with runtime.store.unit_of_work(ACTOR, write=False) as uow:
                return work(uow)

        return once

    one = _median_ms(read(lambda uow: insights.evaluate_hypothesis(uow, "EPIC-1", theta)))
    bare_one = _median_ms(read(lambda uow: [telemetry.evaluate(uow, q) for q in QUERIES]))
    cards = _median_ms(read(lambda uow: insights.card_evaluations(uow, keys, theta)))
    bare_cards = _median_ms(read(lambda uow: [telemetry.evaluate(uow, q) for _ in keys for q in QUERIES]))
    return [
        Result(
            f"epic hypothesis evaluation, 2 indicators with samples and charts, {EVENTS:,} events ({backend}, median)",
            one,
            "ms",
            "the 2 indicator queries alone (telemetry.evaluate)",
            bare_one,
            higher_is_better=False,
        ),
        Result(
            f"board cards: {EPICS} epics' hypotheses, 2 indicators each ({backend}, median)",
            cards,
            "ms",
            f"the {EPICS * 2} indicator queries alone",
            bare_cards,
            higher_is_better=False,
        ),
    ]
