"""OTLP metrics become points with exact values; invalid data points are refused one by one."""

from __future__ import annotations

import math

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from digital_factory.telemetry.otlp_metrics import decode_metrics, exponential_buckets
from digital_factory.telemetry.points import Buckets, MetricKind, Point, Temporality
from tests.telemetry.otlp_builders import CUMULATIVE, DELTA, SECOND, T0, counter, gauge, kv, metrics_request, resource


def _points(*metrics: Metric) -> list[Point]:
    decoded = decode_metrics(metrics_request(*metrics))
    assert decoded.tally.rejected == 0, decoded.tally.message
    return decoded.portions[0].points


def test_a_gauge_keeps_its_sample() -> None:
    (point,) = _points(gauge("battery", 87.5))
    assert point == Point("battery", MetricKind.GAUGE, (), T0, 87.5, Temporality.DELTA, None, None, "%")


def test_sums_are_counters_or_updowns_with_their_temporality() -> None:
    updown = Metric(name="queue.depth")
    updown.sum.is_monotonic = False
    updown.sum.aggregation_temporality = CUMULATIVE
    updown.sum.data_points.add(time_unix_nano=T0, start_time_unix_nano=T0 - SECOND, as_double=-3.25)
    sold, depth = _points(counter("units_sold", 5, product="heavy-lift"), updown)
    assert (sold.kind, sold.temporality, sold.value, sold.unit) == (
        MetricKind.COUNTER,
        Temporality.DELTA,
        5.0,
        "{unit}",
    )
    assert sold.attributes == (("product", "heavy-lift"),)
    assert sold.start_ns == T0 - 60 * SECOND
    assert (depth.kind, depth.temporality, depth.value) == (MetricKind.UPDOWN, Temporality.CUMULATIVE, -3.25)
    assert depth.start_ns == T0 - SECOND


def test_a_histogram_keeps_its_buckets_sum_min_and_max() -> None:
    metric = Metric(name="payload", unit="kg")
    metric.histogram.aggregation_temporality = CUMULATIVE
    metric.histogram.data_points.add(
        time_unix_nano=T0, count=6, sum=21.5, min=0.5, max=9.0, explicit_bounds=[1, 5], bucket_counts=[1, 3, 2]
    )
    (point,) = _points(metric)
    assert (point.kind, point.value, point.temporality) == (MetricKind.HISTOGRAM, 6.0, Temporality.CUMULATIVE)
    assert point.buckets == Buckets(bounds=(1.0, 5.0), counts=(1, 3, 2), sum=21.5, min=0.5, max=9.0)


def test_a_histogram_without_buckets_is_one_open_bucket() -> None:
    metric = Metric(name="payload")
    metric.histogram.aggregation_temporality = DELTA
    metric.histogram.data_points.add(time_unix_nano=T0, count=4)
    (point,) = _points(metric)
    assert point.buckets == Buckets(bounds=(), counts=(4,))


def test_an_exponential_histogram_becomes_explicit_buckets_holding_the_same_counts() -> None:
    metric = Metric(name="latency")
    metric.exponential_histogram.aggregation_temporality = DELTA
    data_point = metric.exponential_histogram.data_points.add(
        time_unix_nano=T0, count=7, scale=0, zero_count=1, sum=3.0
    )
    data_point.positive.offset, data_point.negative.offset = 0, 1
    data_point.positive.bucket_counts.extend([1, 2])  # (1, 2] and (2, 4]
    data_point.negative.bucket_counts.extend([3])  # [-4, -2)
    (point,) = _points(metric)
    assert point.buckets == Buckets(bounds=(-2.0, 0.0, 2.0), counts=(3, 1, 1, 2), sum=3.0)
    assert point.value == 7.0


def test_exponential_bounds_follow_the_scale() -> None:
    metric = Metric(name="latency")
    data_point = metric.exponential_histogram.data_points.add(count=3, scale=1, zero_threshold=0.25)
    data_point.positive.offset = -1
    data_point.positive.bucket_counts.extend([1, 0, 2])  # (2^-1/2, 1], (1, 2^1/2], (2^1/2, 2]
    buckets = exponential_buckets(data_point)
    assert buckets.counts == (0, 1, 0, 2)
    assert buckets.bounds == pytest.approx((0.25, 1.0, math.sqrt(2)))


def test_invalid_points_are_refused_and_named_while_the_valid_ones_are_kept() -> None:
    histogram = Metric(name="payload")
    histogram.histogram.aggregation_temporality = DELTA
    add = histogram.histogram.data_points.add
    add(time_unix_nano=T0, count=3, explicit_bounds=[1, 5], bucket_counts=[1, 2])  # one count short
    add(time_unix_nano=T0, count=3, explicit_bounds=[5, 1], bucket_counts=[1, 1, 1])  # bounds decrease
    add(time_unix_nano=T0, count=4, explicit_bounds=[1], bucket_counts=[1, 1])  # counts add up to 2
    add(time_unix_nano=T0, count=2, explicit_bounds=[1], bucket_counts=[1, 1])  # valid
    unspecified = Metric(name="odd")
    unspecified.sum.data_points.add(time_unix_nano=T0, as_int=1)
    summary = Metric(name="legacy")
    summary.summary.data_points.add(time_unix_nano=T0, count=1, sum=1.0)
    decoded = decode_metrics(
        metrics_request(
            gauge("battery", math.nan), gauge("battery", math.inf), gauge("battery", 1.0, time_ns=0),
            histogram, unspecified, summary, gauge("battery", 50.0),
        )
    )  # fmt: skip
    assert [p.value for p in decoded.portions[0].points] == [2.0, 50.0]
    assert decoded.tally.rejected == 8
    assert decoded.portions[0].items == 10
    message = decoded.tally.message
    assert message.startswith("8 data points rejected: battery: the value is nan (not a finite number)")
    assert "battery: the value is inf (not a finite number)" in message
    assert "battery: time_unix_nano is missing" in message
    assert "payload: 2 bucket counts for 2 bounds (needs one more count than bounds)" in message
    assert "payload: bucket bounds are not strictly increasing" in message


def test_summaries_and_unspecified_temporality_are_refused_by_name() -> None:
    unspecified = Metric(name="odd")
    unspecified.sum.data_points.add(time_unix_nano=T0, as_int=1)
    summary = Metric(name="legacy")
    summary.summary.data_points.add(time_unix_nano=T0, count=1, sum=1.0)
    decoded = decode_metrics(metrics_request(unspecified, summary))
    assert decoded.tally.message == (
        "2 data points rejected: odd: aggregation temporality is unspecified; "
        "legacy: summary metrics are not supported (send a histogram)"
    )


def test_a_staleness_marker_is_neither_stored_nor_refused() -> None:
    metric = gauge("battery", 1.0)
    metric.gauge.data_points[0].flags = 1
    decoded = decode_metrics(metrics_request(metric))
    assert (decoded.portions[0].points, decoded.tally.rejected) == ([], 0)


def test_attributes_are_text_sorted_with_the_resource_extras_and_without_service_or_environment() -> None:
    metric = counter("flights", 1)
    point_attributes = metric.sum.data_points[0].attributes
    point_attributes.extend([kv("drone", 7), kv("armed", True), kv("ratio", 0.5)])
    point_attributes.append(
        KeyValue(key="tags", value=AnyValue(array_value=ArrayValue(values=[AnyValue(int_value=1)])))
    )
    nested = KeyValueList(values=[kv("b", "x"), kv("a", 2)])
    point_attributes.append(KeyValue(key="where", value=AnyValue(kvlist_value=nested)))
    origin = resource("flight-control", "prod", service_version="2.1.0")
    decoded = decode_metrics(metrics_request(metric, origin=origin))
    (point,) = decoded.portions[0].points
    assert point.attributes == (
        ("armed", "true"), ("drone", "7"), ("ratio", "0.5"), ("service.version", "2.1.0"),
        ("tags", "[1]"), ("where", '{"a":2,"b":"x"}'),
    )  # fmt: skip
    assert (decoded.portions[0].origin.service, decoded.portions[0].origin.environment) == ("flight-control", "prod")


def test_too_many_or_too_long_attributes_refuse_the_point() -> None:
    many = counter("flights", 1)
    many.sum.data_points[0].attributes.extend(kv(f"k{i}", "v") for i in range(65))
    long = counter("flights", 1)
    long.sum.data_points[0].attributes.append(kv("note", "x" * 5000))
    decoded = decode_metrics(metrics_request(many, long, counter("flights", 2)))
    assert [p.value for p in decoded.portions[0].points] == [2.0]
    assert decoded.tally.message == (
        "2 data points rejected: flights: more than 64 attributes; "
        "flights: attribute 'note' is longer than 4096 characters"
    )
