"""Whatever arrives, decoding either yields items (some refused with a reason) or refuses the request with
a status: never another exception (which would be a 500)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.metrics.v1.metrics_pb2 import ExponentialHistogramDataPoint, HistogramDataPoint

from digital_factory.telemetry.ingest import decode_request
from digital_factory.telemetry.otlp_metrics import explicit_buckets, exponential_buckets
from digital_factory.telemetry.otlp_values import Refused
from digital_factory.telemetry.otlp_wire import JSON, PROTOBUF, Signal, WireError

KEYS = [
    "resourceMetrics", "resourceSpans", "resourceLogs", "resource", "attributes", "key", "value", "stringValue",
    "intValue", "doubleValue", "arrayValue", "kvlistValue", "values", "scopeMetrics", "scopeSpans", "scopeLogs",
    "metrics", "name", "gauge", "sum", "histogram", "exponentialHistogram", "summary", "dataPoints", "asInt",
    "asDouble", "timeUnixNano", "startTimeUnixNano", "count", "bucketCounts", "explicitBounds", "scale",
    "zeroCount", "positive", "negative", "offset", "aggregationTemporality", "isMonotonic", "spans", "traceId",
    "spanId", "parentSpanId", "kind", "endTimeUnixNano", "status", "code", "logRecords", "severityNumber",
    "severityText", "body", "observedTimeUnixNano", "flags",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(),
    st.text(max_size=20), st.sampled_from(["1", "-1", "NaN", "Infinity", "ff", "18446744073709551616"]),
)  # fmt: skip
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=40,
)


def _decodes_or_refuses(signal: Signal, media: str, body: bytes) -> None:
    try:
        decoded = decode_request(signal, media, body)
    except WireError as refusal:
        assert refusal.status == 400
        return
    assert decoded.tally.rejected <= decoded.items


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(Signal)), DOCUMENTS)
def test_any_json_document_decodes_or_is_400(signal: Signal, document: Any) -> None:
    _decodes_or_refuses(signal, JSON, json.dumps(document, allow_nan=True).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(Signal)), st.binary(max_size=400))
def test_any_bytes_decode_or_are_400(signal: Signal, body: bytes) -> None:
    _decodes_or_refuses(signal, PROTOBUF, body)


COUNTS = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.tuples(COUNTS, COUNTS),
    st.floats(),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_any_exponential_histogram_converts_or_is_refused(
    scale: int, offset: int, ranges: tuple[list[int], list[int]], threshold: float, zero: int
) -> None:
    positive, negative = ranges
    point = ExponentialHistogramDataPoint(scale=scale, zero_threshold=threshold, zero_count=zero)
    point.positive.offset, point.negative.offset = offset, -offset - 1
    point.positive.bucket_counts.extend(positive)
    point.negative.bucket_counts.extend(negative)
    point.count = min(zero + sum(positive) + sum(negative), 2**64 - 1)
    try:
        buckets = exponential_buckets(point)
    except Refused:
        return
    assert sum(buckets.counts) == point.count
    assert len(buckets.counts) == len(buckets.bounds) + 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(), max_size=5), COUNTS, st.integers(min_value=0, max_value=2**64 - 1))
def test_any_explicit_histogram_is_kept_valid_or_refused(bounds: list[float], counts: list[int], count: int) -> None:
    point = HistogramDataPoint(explicit_bounds=bounds, bucket_counts=counts, count=count)
    try:
        buckets = explicit_buckets(point)
    except Refused:
        return
    assert sum(buckets.counts) == count
    assert all(a < b for a, b in zip(buckets.bounds, buckets.bounds[1:], strict=False))
