"""OTLP on the wire: encodings, gzip within a cap (a bomb stops at it), OTLP/JSON ids, answers."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from digital_factory.telemetry.otlp_wire import (
    JSON,
    PROTOBUF,
    Signal,
    WireError,
    decode,
    failure,
    inflate,
    is_gzip,
    media_type,
    success,
)
from tests.telemetry.otlp_builders import T0, counter, gzip_bomb, metrics_request, span, traces_request

MIB = 1 << 20


def _refused(call: object, *args: object) -> WireError:
    with pytest.raises(WireError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_the_two_encodings_and_their_parameters_are_accepted_anything_else_is_415() -> None:
    assert media_type("application/x-protobuf") == PROTOBUF
    assert media_type("Application/JSON; charset=utf-8") == JSON
    assert (_refused(media_type, "text/plain").status, _refused(media_type, None).status) == (415, 415)
    assert _refused(media_type, "text/plain").message == (
        "Content-Type must be application/x-protobuf or application/json; it is 'text/plain'"
    )
    assert (is_gzip(None), is_gzip("identity"), is_gzip("GZIP")) == (False, False, True)
    assert _refused(is_gzip, "br").message == "Content-Encoding must be gzip or identity; it is 'br'"


def test_gzip_is_inflated_including_concatenated_members() -> None:
    assert inflate(gzip.compress(b"hello ") + gzip.compress(b"world"), 1024) == b"hello world"


def test_bad_or_truncated_gzip_is_400() -> None:
    whole = gzip.compress(b"x" * 1000)
    assert _refused(inflate, b"not gzip at all", 1024).status == 400
    assert _refused(inflate, whole[: len(whole) // 2], 1024).message == "the gzip body is truncated"


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_further() -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * MIB
    tracemalloc.start()
    try:
        refusal = _refused(inflate, bomb, 16 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (refusal.status, refusal.message) == (
        413, f"the request exceeds the limit of {16 * MIB} bytes (after decompression too)",
    )  # fmt: skip
    assert peak < 64 * MIB  # the bomb inflates to 1 GiB


def test_otlp_json_with_hex_ids_and_string_int64_decodes() -> None:
    document = {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "flight-control"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
                "parentSpanId": "", "name": "GET /", "kind": 2,
                "startTimeUnixNano": str(T0), "endTimeUnixNano": str(T0 + 5_000_000), "unknownField": 1,
            }]}],
        }]
    }  # fmt: skip
    request = decode(Signal.TRACES, JSON, json.dumps(document).encode())
    assert isinstance(request, ExportTraceServiceRequest)
    decoded_span = request.resource_spans[0].scope_spans[0].spans[0]
    assert decoded_span.trace_id.hex() == "5b8efff798038103d269b633813fc60c"
    assert (decoded_span.span_id.hex(), decoded_span.kind, decoded_span.end_time_unix_nano) == (
        "eee19b7ec3c1b174", 2, T0 + 5_000_000,
    )  # fmt: skip


def test_protobuf_round_trips_and_empty_bodies_are_empty_requests() -> None:
    request = metrics_request(counter("units_sold", 3))
    assert decode(Signal.METRICS, PROTOBUF, request.SerializeToString()) == request
    assert decode(Signal.METRICS, JSON, json_format.MessageToJson(request).encode()) == request
    assert len(decode(Signal.METRICS, PROTOBUF, b"").resource_metrics) == 0  # type: ignore[attr-defined]
    assert len(decode(Signal.METRICS, JSON, b"  ").resource_metrics) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("media", "body", "message"),
    [
        (JSON, b"[1, 2]", "the body must be a JSON object (an OTLP/JSON ExportTraceServiceRequest)"),
        (JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
         "traceId must be a hex string; it is 'zz'"),
        (JSON, b"{", "the body is not a valid OTLP/JSON ExportTraceServiceRequest: Expecting property name"),
        (JSON, b'{"resourceSpans": 5}', "the body is not a valid OTLP/JSON ExportTraceServiceRequest: Failed to parse"),
        (JSON, b"[" * 100_000 + b"]" * 100_000, "the JSON body nests too deeply"),
        (PROTOBUF, traces_request(span("GET /", T0, 1)).SerializeToString()[:-3],
         "the body is not a valid protobuf ExportTraceServiceRequest"),
    ],
)  # fmt: skip
def test_undecodable_bodies_are_400_with_a_reason(media: str, body: bytes, message: str) -> None:
    refusal = _refused(decode, Signal.TRACES, media, body)
    assert refusal.status == 400
    assert refusal.message.startswith(message)


def test_answers_are_in_the_request_encoding_with_partial_success_only_when_needed() -> None:
    assert success(Signal.METRICS, JSON, 0, "") == b"{}"
    assert success(Signal.METRICS, PROTOBUF, 0, "") == b""
    assert json.loads(success(Signal.METRICS, JSON, 3, "3 data points rejected")) == {
        "partialSuccess": {"rejectedDataPoints": "3", "errorMessage": "3 data points rejected"}
    }
    partial = ExportMetricsServiceResponse.FromString(success(Signal.METRICS, PROTOBUF, 2, "why"))
    assert (partial.partial_success.rejected_data_points, partial.partial_success.error_message) == (2, "why")
    assert json.loads(success(Signal.LOGS, JSON, 1, "x"))["partialSuccess"]["rejectedLogRecords"] == "1"
    assert json.loads(success(Signal.TRACES, JSON, 1, "x"))["partialSuccess"]["rejectedSpans"] == "1"
    assert json.loads(failure(400, JSON, "bad")) == {"code": 3, "message": "bad"}
    assert Status.FromString(failure(503, PROTOBUF, "busy")) == Status(code=14, message="busy")
