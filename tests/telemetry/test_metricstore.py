"""The metric store: batched writes, no double counting, cumulative increments, rollups and queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.metricquery import Matcher
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.points import Buckets, MetricKind, Point, Temporality
from digital_factory.telemetry.schemas import Aggregation
from tests.telemetry.builders import NANOS, T0, make_service, nanos, write

SOLD = "business.units_sold"


def _sold(minute: int, units: float, product: str = "heavy-lift") -> Point:
    return Point(SOLD, MetricKind.COUNTER, (("product", product),), nanos(T0) + minute * 60 * NANOS, units)


def _value(runtime: Runtime, query: str, minutes_after: int = 60 * 24, **scope: str) -> float | None:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return telemetry.evaluate(uow, query, at=T0 + timedelta(minutes=minutes_after), **scope).value


def test_a_batch_sent_twice_is_counted_once(runtime: Runtime) -> None:
    service = make_service(runtime)
    batch = [_sold(m, 2) for m in range(10)] + [_sold(m, 5, "light") for m in range(3)]
    first = write(runtime, service, batch)
    again = write(runtime, service, batch)
    assert (first.accepted, first.duplicates) == (13, 0)
    assert (again.accepted, again.duplicates) == (0, 13)
    assert _value(runtime, f'sum({SOLD}{{product="heavy-lift"}}[1d])') == 20
    assert _value(runtime, f"sum({SOLD}[1d])") == 35
    assert _value(runtime, f'count({SOLD}{{product!="heavy-lift"}}[1d])') == 3


def test_cumulative_sums_become_increments_and_a_new_start_is_a_reset(runtime: Runtime) -> None:
    service = make_service(runtime)
    start = nanos(T0)

    def cumulative(minute: int, total: float, started: int = start) -> Point:
        time = start + minute * 60 * NANOS
        return Point("drone.flights", MetricKind.COUNTER, (), time, total, Temporality.CUMULATIVE, started)

    write(runtime, service, [cumulative(1, 5), cumulative(2, 8)])
    write(runtime, service, [cumulative(2, 8), cumulative(3, 8)])  # a re-send, then an export with no change
    write(runtime, service, [cumulative(4, 3, started=start + 4 * 60 * NANOS)])  # the process restarted
    assert _value(runtime, "sum(drone.flights[1d])") == 11
    assert _value(runtime, "last(drone.flights[1d])") == 3


def test_gauges_keep_samples_and_quantiles_read_them_by_rank(runtime: Runtime) -> None:
    service = make_service(runtime)
    time = nanos(T0)
    battery = [
        Point("drone.battery", MetricKind.GAUGE, (), time + i * NANOS, float(v)) for i, v in enumerate(range(1, 101))
    ]
    write(runtime, service, battery)
    assert _value(runtime, "last(drone.battery[1d])") == 100
    assert _value(runtime, "avg(drone.battery[1d])") == 50.5
    assert _value(runtime, "min(drone.battery[1d])") == 1
    assert _value(runtime, "p50(drone.battery[1d])") == 50.5
    assert _value(runtime, "p99(drone.battery[1d])") == pytest.approx(99.01)


def test_histograms_merge_buckets_for_quantiles_and_averages(runtime: Runtime) -> None:
    service = make_service(runtime)
    bounds = (10.0, 100.0, 1000.0)
    points = [
        Point(
            "red.duration_ms",
            MetricKind.HISTOGRAM,
            (("route", "/orders"),),
            nanos(T0) + i * NANOS,
            10,
            buckets=Buckets(bounds, (5, 5, 0, 0), sum=400.0, min=1.0, max=90.0),
        )
        for i in range(2)
    ]
    write(runtime, service, points)
    assert _value(runtime, "count(red.duration_ms[1d])") == 20
    assert _value(runtime, "avg(red.duration_ms[1d])") == 40
    assert _value(runtime, "p50(red.duration_ms[1d])") == 10
    assert _value(runtime, "p95(red.duration_ms[1d])") == pytest.approx(91)


def test_service_and_environment_narrow_a_query_and_ratio_divides(runtime: Runtime) -> None:
    fleet, shop = make_service(runtime, "fleet-api"), make_service(runtime, "shop")
    write(runtime, fleet, [_sold(1, 4)])
    write(runtime, shop, [_sold(1, 6)])
    write(runtime, shop, [_sold(2, 10)], environment="staging")
    assert _value(runtime, f"sum({SOLD}[1d])") == 20
    assert _value(runtime, f"sum({SOLD}[1d])", service="shop") == 16
    assert _value(runtime, f'sum({SOLD}{{service="shop",environment="prod"}}[1d])') == 6
    assert _value(runtime, f'ratio(sum({SOLD}{{service="fleet-api"}}[1d]), sum({SOLD}[1d]))') == 0.2
    assert _value(runtime, "sum(nothing.sent[1d])") is None


def test_long_windows_read_rollups_and_agree_with_raw_points(runtime: Runtime) -> None:
    service = make_service(runtime)
    write(runtime, service, [_sold(m, 1) for m in range(0, 3 * 24 * 60, 7)])  # every 7 minutes for 3 days
    expected = len(range(0, 3 * 24 * 60, 7))
    assert _value(runtime, f"sum({SOLD}[4d])", minutes_after=3 * 24 * 60 + 13) == expected
    assert _value(runtime, f"count({SOLD}[1h])", minutes_after=61) == len(
        range(7, 61, 7)
    )  # the window is [1 min, 61 min)


def test_range_queries_give_one_line_per_label(runtime: Runtime) -> None:
    service = make_service(runtime)
    write(runtime, service, [_sold(m, 1) for m in range(6)] + [_sold(m, 3, "light") for m in range(3)])
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        result = telemetry.query_range(
            uow,
            SOLD,
            start=T0,
            end=T0 + timedelta(minutes=6),
            step_seconds=180,
            by="product",
            matchers=[Matcher("service", False, service)],
        )
        assert [(s.labels, [p.value for p in s.points]) for s in result.series] == [
            ({"product": "heavy-lift"}, [3, 3]),
            ({"product": "light"}, [9, 0]),
        ]
        with pytest.raises(ValidationFailed, match="at most"):
            telemetry.query_range(uow, SOLD, start=T0, end=T0 + timedelta(days=30), step_seconds=60)
        assert result.aggregation is Aggregation.SUM


def test_series_logs_and_last_seen_are_listed(runtime: Runtime) -> None:
    service = make_service(runtime)
    write(runtime, service, [_sold(5, 1)])
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        [series] = telemetry.list_series(uow, service)
        assert (series.metric, series.environment, series.attributes) == (SOLD, "prod", {"product": "heavy-lift"})
        assert series.last_at == T0 + timedelta(minutes=5)
        assert telemetry.metric_names(uow) == [SOLD]


def test_a_bad_query_names_the_field(runtime: Runtime) -> None:
    with (
        runtime.store.unit_of_work(system_actor("tests"), write=False) as uow,
        pytest.raises(ValidationFailed) as error,
    ):
        telemetry.evaluate(uow, "sum(x)")
    assert error.value.problems[0].field == "q"


def test_many_queries_at_their_own_moments_read_as_one_each(runtime: Runtime) -> None:
    fleet, shop = make_service(runtime, "fleet-api"), make_service(runtime, "shop")
    write(runtime, fleet, [_sold(1, 4)])
    write(runtime, shop, [_sold(1, 6), _sold(120, 10)])
    day, early = T0 + timedelta(days=1), T0 + timedelta(minutes=60)
    requests = [
        (f"sum({SOLD}[1d])", day),
        (f"sum({SOLD}[1d])", early),
        (f'ratio(sum({SOLD}{{service="fleet-api"}}[1d]), sum({SOLD}[1d]))', day),
        ("sum(nothing.sent[1d])", day),
    ]
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        many = telemetry.evaluate_many(uow, requests)
        one_by_one = [telemetry.evaluate(uow, text, at=at) for text, at in requests]
    assert [e.value for e in many] == [20, 10, 0.2, None]
    assert many == one_by_one
    with (
        runtime.store.unit_of_work(system_actor("tests"), write=False) as uow,
        pytest.raises(ValidationFailed) as error,
    ):
        telemetry.evaluate_many(uow, [(f"sum({SOLD}[1d])", day), ("sum(x)", day)])
    assert error.value.problems[0].field == "q"
