"""OTLP spans become RED points per route and minute; invalid spans are refused."""

from __future__ import annotations

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from digital_factory.telemetry.otlp_traces import DURATION_BOUNDS_MS, decode_traces
from digital_factory.telemetry.points import Buckets, MetricKind, Point, Temporality
from tests.telemetry.otlp_builders import SECOND, T0, span, traces_request

MINUTE = 60 * SECOND


def _by_metric(points: list[Point]) -> dict[tuple[str, str, int], Point]:
    return {(p.metric, dict(p.attributes)["route"], p.time_ns): p for p in points}


def test_server_spans_become_requests_errors_and_durations_per_route_and_minute() -> None:
    failed = span("GET /orders", T0 + 2 * SECOND, 300, {"http.route": "/orders/{id}", "http.response.status_code": 503})
    flagged = span("GET /orders", T0 + 3 * SECOND, 7, {"http.route": "/orders/{id}"})
    flagged.status.code = Status.STATUS_CODE_ERROR
    request = traces_request(
        span("GET /orders", T0, 4, {"http.route": "/orders/{id}"}),
        failed,
        flagged,
        span("GET /health", T0 + MINUTE + SECOND, 1, {"url.path": "/health?probe=1"}),
        span("db query", T0, 2, kind=Span.SPAN_KIND_CLIENT),
    )
    decoded = decode_traces(request)
    assert decoded.tally.rejected == 0
    points = _by_metric(decoded.portions[0].points)
    last_end = T0 + 3 * SECOND + 7_000_000
    requests = points[("red.requests", "/orders/{id}", last_end)]
    assert (requests.kind, requests.value, requests.temporality, requests.start_ns) == (
        MetricKind.COUNTER, 3.0, Temporality.DELTA, T0,
    )  # fmt: skip
    assert points[("red.errors", "/orders/{id}", last_end)].value == 2.0
    durations = points[("red.duration_ms", "/orders/{id}", last_end)]
    assert durations.buckets == Buckets(DURATION_BOUNDS_MS, (1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0), 311.0, 4.0, 300.0)
    health = [p for p in decoded.portions[0].points if dict(p.attributes)["route"] == "/health"]
    assert [(p.metric, p.value) for p in health] == [("red.requests", 1.0), ("red.duration_ms", 1.0)]
    assert len(decoded.portions[0].points) == 5  # the client span is not a request


def test_without_server_spans_the_root_spans_count_and_the_name_is_the_route() -> None:
    child = span("child", T0, 1, kind=Span.SPAN_KIND_INTERNAL)
    child.parent_span_id = b"\x01" * 8
    decoded = decode_traces(traces_request(span("nightly-job", T0, 20000, kind=Span.SPAN_KIND_INTERNAL), child))
    points = decoded.portions[0].points
    assert [(p.metric, p.attributes, p.value) for p in points] == [
        ("red.requests", (("route", "nightly-job"),), 1.0),
        ("red.duration_ms", (("route", "nightly-job"),), 1.0),
    ]
    assert points[1].buckets is not None and points[1].buckets.counts[-1] == 1  # 20 s: beyond the last bound


def test_spans_without_times_or_ending_before_they_start_are_refused() -> None:
    backwards = span("GET /", T0, 5)
    backwards.end_time_unix_nano = T0 - 1
    no_end = span("GET /", T0, 5)
    no_end.end_time_unix_nano = 0
    decoded = decode_traces(traces_request(backwards, no_end, span("GET /", T0, 5)))
    assert (
        decoded.tally.message
        == "2 spans rejected: span 'GET /' ends before it starts; span 'GET /' has no start or end time"
    )
    assert [p.value for p in decoded.portions[0].points if p.metric == "red.requests"] == [1.0]


def test_a_resent_request_yields_the_same_points() -> None:
    request = traces_request(span("GET /", T0, 5), span("GET /", T0 + SECOND, 6))
    assert decode_traces(request).portions[0].points == decode_traces(request).portions[0].points
