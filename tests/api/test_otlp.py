"""OTLP/HTTP at /v1/metrics, /v1/traces and /v1/logs: the protocol's answers, authentication by the
service's ingestion key, limits, overload, and malformed input (all 4xx, nothing stored)."""

from __future__ import annotations

import gzip
import json
import random
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import ExitStack

import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, SeverityNumber
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKey, IngestionKeyCreate
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.otlp_wire import Signal, WireError, decode
from digital_factory.telemetry.points import Batch, Written
from digital_factory.telemetry.service import OtlpLimits, OtlpReceiver
from tests.factories import actor_of
from tests.releases.builders import OTHER, SERVICE, flight_control
from tests.telemetry.otlp_builders import (
    T0,
    counter,
    gauge,
    gzip_bomb,
    logs_request,
    metrics_request,
    resource,
    span,
    traces_request,
)

MIB = 1 << 20
PB = {"Content-Type": "application/x-protobuf"}
JS = {"Content-Type": "application/json"}


class RecordingWriter:
    """Stands in for the metric store: keeps points by series and time, as the store does."""

    def __init__(self) -> None:
        self.points: dict[tuple[object, ...], float] = {}
        self.logs: list[tuple[str, str | None, str]] = []
        self.calls = 0

    def __call__(self, uow: UnitOfWork, batches: Sequence[Batch]) -> Written:
        self.calls += 1
        new = duplicates = 0
        for batch in batches:
            for point in batch.points:
                key = (batch.service, batch.environment, point.metric, point.attributes, point.time_ns)
                duplicates += key in self.points
                new += key not in self.points
                self.points.setdefault(key, point.value)
            self.logs += [(batch.service, batch.environment, line.body) for line in batch.logs]
            new += len(batch.logs)
        return Written(accepted=new, duplicates=duplicates)


@pytest.fixture
def writer(runtime: Runtime) -> RecordingWriter:
    recording = RecordingWriter()
    runtime.otlp.writer = recording
    return recording


@pytest.fixture
def key(runtime: Runtime) -> str:
    flight_control(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        made = catalog.create_ingestion_key(uow, runtime.digester, SERVICE, IngestionKeyCreate(name="otel"))
    return made.secret


def _auth(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def _key_record(runtime: Runtime) -> IngestionKey:
    with runtime.store.unit_of_work(actor_of(runtime, "flight"), write=False) as uow:
        (record,) = catalog.list_ingestion_keys(uow, SERVICE)
    return record


def test_protobuf_metrics_are_stored_and_answered_with_an_empty_response(
    client: TestClient, runtime: Runtime, key: str, writer: RecordingWriter
) -> None:
    body = metrics_request(counter("units_sold", 5), gauge("battery", 80.0), origin=resource(SERVICE, "prod"))
    answer = client.post("/v1/metrics", content=body.SerializeToString(), headers=_auth(key, **PB))
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (200, "application/x-protobuf", b"")
    assert writer.points == {
        (SERVICE, "prod", "units_sold", (), T0): 5.0,
        (SERVICE, "prod", "battery", (), T0): 80.0,
    }
    record = _key_record(runtime)
    assert (record.accepted_points, record.rejected_points) == (2, 0)
    assert record.last_used_at is not None


def test_json_and_gzip_are_accepted_and_answered_in_kind(client: TestClient, key: str, writer: RecordingWriter) -> None:
    document = json_format.MessageToJson(metrics_request(counter("units_sold", 2)))
    answer = client.post(
        "/v1/metrics",
        content=gzip.compress(document.encode()),
        headers=_auth(key, **JS, **{"Content-Encoding": "gzip"}),
    )
    assert (answer.status_code, answer.headers["content-type"], answer.json()) == (200, "application/json", {})
    assert writer.points == {(SERVICE, None, "units_sold", (), T0): 2.0}


def test_an_empty_request_succeeds(client: TestClient, key: str, writer: RecordingWriter) -> None:
    for path in ("/v1/metrics", "/v1/traces", "/v1/logs"):
        assert client.post(path, content=b"", headers=_auth(key, **PB)).status_code == 200
        assert client.post(path, content=b"{}", headers=_auth(key, **JS)).json() == {}
    assert writer.points == {}


def test_another_service_or_unknown_environment_is_refused_in_a_partial_success(
    client: TestClient, runtime: Runtime, key: str, writer: RecordingWriter
) -> None:
    request = metrics_request(counter("units_sold", 1), origin=resource(SERVICE, "dev"))
    request.resource_metrics.extend(
        metrics_request(counter("a", 1), counter("b", 1), origin=resource(OTHER)).resource_metrics
    )
    request.resource_metrics.extend(metrics_request(counter("c", 1), origin=resource(SERVICE, "qa")).resource_metrics)
    answer = client.post("/v1/metrics", content=request.SerializeToString(), headers=_auth(key, **PB))
    partial = ExportMetricsServiceResponse.FromString(answer.content).partial_success
    assert answer.status_code == 200
    assert partial.rejected_data_points == 3
    assert partial.error_message == (
        "3 data points rejected: service.name 'engine-control' is not this key's service 'flight-control'; "
        "deployment.environment 'qa' is not an environment of flight-control (known: dev, staging, prod)"
    )
    assert writer.points == {(SERVICE, "dev", "units_sold", (), T0): 1.0}
    assert (_key_record(runtime).accepted_points, _key_record(runtime).rejected_points) == (1, 3)


def test_traces_and_logs_are_partially_refused_with_their_own_counts(
    client: TestClient, key: str, writer: RecordingWriter
) -> None:
    bad = span("GET /", T0, 5)
    bad.end_time_unix_nano = 0
    answer = client.post(
        "/v1/traces", content=traces_request(bad, span("GET /", T0, 5)).SerializeToString(), headers=_auth(key, **PB)
    )
    assert answer.status_code == 200
    partial = json.loads(json_format.MessageToJson(_trace_response(answer.content)))
    assert partial == {
        "partialSuccess": {
            "rejectedSpans": "1",
            "errorMessage": "1 spans rejected: span 'GET /' has no start or end time",
        }
    }
    logs = logs_request(LogRecord(time_unix_nano=T0), LogRecord())
    answer = client.post("/v1/logs", content=json_format.MessageToJson(logs), headers=_auth(key, **JS))
    assert answer.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    assert {k[2] for k in writer.points} == {"red.requests", "red.duration_ms", "log.records"}
    assert writer.logs == [(SERVICE, None, "")]


def _trace_response(content: bytes) -> ExportTraceServiceResponse:
    return ExportTraceServiceResponse.FromString(content)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "send the service's ingestion key as `Authorization: Bearer <key>`"),
        ({"Authorization": "Basic abc"}, "send the service's ingestion key as `Authorization: Bearer <key>`"),
        ({"Authorization": "Bearer nonsense"}, "the ingestion key is malformed"),
        ({"Authorization": "Bearer dfik_AAAAAAAAAAAA_" + "x" * 40}, "the ingestion key"),
    ],
)
def test_without_a_valid_key_the_answer_is_401_with_a_challenge(
    client: TestClient, key: str, writer: RecordingWriter, headers: dict[str, str], message: str
) -> None:
    answer = client.post("/v1/metrics", content=b"", headers={**headers, **PB})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer realm="otlp"'
    assert Status.FromString(answer.content).message.startswith(message)
    assert writer.calls == 0


def test_a_revoked_key_is_refused(client: TestClient, runtime: Runtime, key: str, writer: RecordingWriter) -> None:
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        catalog.revoke_ingestion_key(uow, SERVICE, _key_record(runtime).public_id)
    answer = client.post("/v1/metrics", content=b"{}", headers=_auth(key, **JS))
    assert (answer.status_code, answer.json()) == (401, {"code": 16, "message": "the ingestion key is revoked"})


def test_unsupported_media_types_and_codings_are_415(client: TestClient, key: str) -> None:
    answer = client.post("/v1/metrics", content=b"x", headers=_auth(key, **{"Content-Type": "text/plain"}))
    assert (answer.status_code, answer.json()["code"]) == (415, 3)
    answer = client.post("/v1/logs", content=b"x", headers=_auth(key, **PB, **{"Content-Encoding": "br"}))
    assert answer.status_code == 415
    assert Status.FromString(answer.content).message == "Content-Encoding must be gzip or identity; it is 'br'"


def test_undecodable_bodies_are_400_in_the_request_encoding(
    client: TestClient, key: str, writer: RecordingWriter
) -> None:
    answer = client.post("/v1/metrics", content=b'{"resourceMetrics": 1}', headers=_auth(key, **JS))
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("the body is not a valid OTLP/JSON ExportMetricsServiceRequest")
    answer = client.post("/v1/metrics", content=b"\xff\xff\xff", headers=_auth(key, **PB))
    assert answer.status_code == 400
    assert Status.FromString(answer.content).code == 3
    assert writer.calls == 0


def test_a_25_mib_body_is_413_whether_declared_or_streamed(
    client: TestClient, key: str, writer: RecordingWriter
) -> None:
    big = b"\x00" * (25 * MIB)
    answer = client.post("/v1/metrics", content=big, headers=_auth(key, **PB))
    assert answer.status_code == 413
    assert (
        Status.FromString(answer.content).message
        == f"the request exceeds the limit of {16 * MIB} bytes (after decompression too)"
    )

    def chunks() -> Iterator[bytes]:
        for _ in range(25):
            yield bytes(MIB)

    assert client.post("/v1/metrics", content=chunks(), headers=_auth(key, **PB)).status_code == 413
    assert writer.calls == 0


def test_a_gzip_bomb_is_413_with_memory_growth_bounded(client: TestClient, key: str, writer: RecordingWriter) -> None:
    bomb = gzip_bomb()  # 1 GiB of zeros
    tracemalloc.start()
    try:
        answer = client.post("/v1/metrics", content=bomb, headers=_auth(key, **PB, **{"Content-Encoding": "gzip"}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 413
    assert peak < 64 * MIB, f"the server allocated {peak / MIB:.0f} MiB for a 1 GiB bomb"
    assert writer.calls == 0


def test_a_key_over_its_rate_is_429_with_retry_after(
    client: TestClient, runtime: Runtime, key: str, writer: RecordingWriter
) -> None:
    runtime.otlp = OtlpReceiver(OtlpLimits(rate=1.0, burst=3), writer)
    body = metrics_request(counter("a", 1), counter("b", 1), counter("c", 1)).SerializeToString()
    assert client.post("/v1/metrics", content=body, headers=_auth(key, **PB)).status_code == 200
    answer = client.post("/v1/metrics", content=body, headers=_auth(key, **PB))
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
    assert Status.FromString(answer.content) == Status(
        code=8, message="this ingestion key is over its rate; retry in 3 s"
    )
    assert writer.calls == 1


def test_beyond_the_concurrent_requests_the_answer_is_503_with_retry_after(
    client: TestClient, runtime: Runtime, key: str, writer: RecordingWriter
) -> None:
    with ExitStack() as taken:
        for _ in range(runtime.otlp.limits.max_concurrent):
            taken.enter_context(runtime.otlp.admitted())
        answer = client.post("/v1/metrics", content=b"{}", headers=_auth(key, **JS))
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "1")
    assert answer.json() == {"code": 14, "message": "the telemetry receiver is busy; retry shortly"}
    assert client.post("/v1/metrics", content=b"{}", headers=_auth(key, **JS)).status_code == 200


def _malformed(rng: random.Random) -> tuple[str, dict[str, str], bytes]:
    """A malformed OTLP request of one of five kinds."""
    valid = metrics_request(counter("units_sold", 5), gauge("battery", 1.0)).SerializeToString()
    path = rng.choice(["/v1/metrics", "/v1/traces", "/v1/logs"])
    kind = rng.randrange(5)
    if kind == 0:  # truncated protobuf
        return "/v1/metrics", PB, valid[: rng.randrange(1, len(valid) - 1)]
    if kind == 1:  # random bytes (those that happen to be a valid message are not malformed: skipped by the caller)
        return path, PB, rng.randbytes(rng.randrange(1, 300))
    if kind == 2:  # JSON of the wrong shape (under the signal's own field: others are ignored, as unknown)
        field = {"/v1/metrics": "resourceMetrics", "/v1/traces": "resourceSpans", "/v1/logs": "resourceLogs"}[path]
        wrong = ["7", "[1]", '{"a": 1}', '[{"resource": {"attributes": 3}}]', '[{"schemaUrl": 5}]']
        shapes = [f'{{"{field}": {value}}}' for value in wrong] + ["[]", "null", '"text"', "{"]
        return path, JS, rng.choice(shapes).encode()
    if kind == 3:  # bad gzip
        broken = gzip.compress(valid)
        cut = broken[: rng.randrange(1, len(broken) - 1)] if rng.random() < 0.5 else rng.randbytes(40)
        return path, {**PB, "Content-Encoding": "gzip"}, cut
    content_type = rng.choice(["text/plain", "application/xml", "application/protobuf", "", "multipart/form-data"])
    return path, {"Content-Type": content_type}, valid


def _is_valid_message(path: str, headers: dict[str, str], body: bytes) -> bool:
    if headers != PB:
        return False

    try:
        decode(Signal(path.removeprefix("/v1/")), "application/x-protobuf", body)
    except WireError:
        return False
    return True


def test_a_thousand_malformed_bodies_are_all_4xx_nothing_is_stored_and_the_server_stays_healthy(
    client: TestClient, runtime: Runtime, key: str
) -> None:
    """On the real metric store."""
    rng = random.Random(20261204)
    statuses: dict[int, int] = {}
    sent = 0
    while sent < 1000:
        path, headers, body = _malformed(rng)
        if _is_valid_message(path, headers, body):
            continue
        answer = client.post(path, content=body, headers=_auth(key, **headers))
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        sent += 1
    assert set(statuses) <= {400, 415}, statuses
    assert _stored(runtime) == ([], [])
    assert _key_record(runtime).accepted_points == 0
    assert client.get("/healthz").status_code == 200
    good = logs_request(LogRecord(time_unix_nano=T0)).SerializeToString()
    assert client.post("/v1/logs", content=good, headers=_auth(key, **PB)).status_code == 200
    assert _stored(runtime) == (["log.records"], [""])


def _stored(runtime: Runtime) -> tuple[list[str], list[str]]:
    """The service's metric names and log line bodies in the store."""
    with runtime.store.unit_of_work(actor_of(runtime, "flight"), write=False) as uow:
        return telemetry.metric_names(uow, SERVICE), [line.body for line in telemetry.recent_logs(uow, SERVICE)]


def test_only_post_is_answered(client: TestClient) -> None:
    answer = client.get("/v1/metrics")
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")


def test_a_request_is_parsed_before_it_reaches_the_store(client: TestClient, key: str, writer: RecordingWriter) -> None:
    request = ExportMetricsServiceRequest()
    request.resource_metrics.add().resource.CopyFrom(resource(SERVICE))
    answer = client.post("/v1/metrics", content=request.SerializeToString(), headers=_auth(key, **PB))
    assert (answer.status_code, writer.calls) == (200, 0)


def test_a_busy_store_is_503_so_the_client_retries(client: TestClient, runtime: Runtime, key: str) -> None:
    def locked(uow: UnitOfWork, batches: Sequence[Batch]) -> Written:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    runtime.otlp.writer = locked
    body = metrics_request(counter("units_sold", 5)).SerializeToString()
    answer = client.post("/v1/metrics", content=body, headers=_auth(key, **PB))
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert Status.FromString(answer.content).message == "the metric store is busy; retry shortly"
    assert _key_record(runtime).accepted_points == 0


def test_an_unexpected_failure_is_500_without_details(client: TestClient, runtime: Runtime, key: str) -> None:
    def broken(uow: UnitOfWork, batches: Sequence[Batch]) -> Written:
        raise RuntimeError("secret internals")

    runtime.otlp.writer = broken
    body = json_format.MessageToJson(metrics_request(counter("units_sold", 5)))
    answer = client.post("/v1/metrics", content=body, headers=_auth(key, **JS))
    assert (answer.status_code, answer.json()) == (
        500,
        {"code": 13, "message": "the telemetry receiver failed; it was logged"},
    )


def test_the_same_spans_and_logs_sent_twice_count_once_in_the_store(
    client: TestClient, runtime: Runtime, key: str
) -> None:
    """On the real metric store: derived RED and log-count points of a re-sent request are duplicates."""
    minute = 60_000_000_000
    now = time.time_ns() // minute * minute - minute // 2  # mid-minute: both spans fall in one minute's group
    spans = traces_request(span("GET /", now - 2_000_000_000, 5), span("GET /", now - 1_000_000_000, 7))
    logs = logs_request(
        LogRecord(time_unix_nano=now - 1_000_000_000, severity_number=SeverityNumber.SEVERITY_NUMBER_ERROR)
    )
    for _ in range(2):
        assert client.post("/v1/traces", content=spans.SerializeToString(), headers=_auth(key, **PB)).status_code == 200
        assert client.post("/v1/logs", content=logs.SerializeToString(), headers=_auth(key, **PB)).status_code == 200
    with runtime.store.unit_of_work(actor_of(runtime, "flight"), write=False) as uow:
        requests = telemetry.evaluate(uow, 'sum(red.requests{route="GET /"}[1h])', service=SERVICE).value
        errors = telemetry.evaluate(uow, 'sum(log.records{severity="ERROR"}[1h])', service=SERVICE).value
    assert (requests, errors) == (2, 1)
    assert _key_record(runtime).accepted_points == 2 + 1 + 1  # requests, durations, a count and its line


def test_nul_characters_never_reach_the_store(client: TestClient, runtime: Runtime, key: str) -> None:
    """On the real metric store (PostgreSQL keeps no NUL in text): refused in names and attributes, replaced
    in log bodies and routes."""
    request = metrics_request(counter("units\x00sold", 1), counter("units_sold", 1, product="heavy\x00lift"))
    answer = client.post("/v1/metrics", content=request.SerializeToString(), headers=_auth(key, **PB))
    assert ExportMetricsServiceResponse.FromString(answer.content).partial_success.rejected_data_points == 2
    logs = logs_request(LogRecord(time_unix_nano=T0, body=AnyValue(string_value="motor\x00hot")))
    assert client.post("/v1/logs", content=logs.SerializeToString(), headers=_auth(key, **PB)).status_code == 200
    spans = traces_request(span("GET /a\x00b", T0, 5))
    assert client.post("/v1/traces", content=spans.SerializeToString(), headers=_auth(key, **PB)).status_code == 200
    assert _stored(runtime) == (["log.records", "red.duration_ms", "red.requests"], ["motor\ufffdhot"])


def test_a_time_past_the_supported_years_is_refused_in_a_partial_success_and_the_rest_stored(
    client: TestClient, runtime: Runtime, key: str
) -> None:
    """OTLP times are unsigned 64-bit nanoseconds; the store's are signed. Before, such a time answered 500 and
    lost the request's good items with it."""
    latest = 2**64 - 1
    metrics = metrics_request(counter("units_sold", 1), counter("units_sold", 1, time_ns=latest, product="x"))
    answer = client.post("/v1/metrics", content=metrics.SerializeToString(), headers=_auth(key, **PB))
    refused = ExportMetricsServiceResponse.FromString(answer.content).partial_success
    assert (answer.status_code, refused.rejected_data_points) == (200, 1)
    assert refused.error_message == "1 data points rejected: units_sold: time_unix_nano lies after the year 2199"
    logs = logs_request(
        LogRecord(time_unix_nano=T0, body=AnyValue(string_value="motor warm")),
        LogRecord(time_unix_nano=latest, body=AnyValue(string_value="from the far future")),
    )
    answer = client.post("/v1/logs", content=logs.SerializeToString(), headers=_auth(key, **PB))
    assert ExportLogsServiceResponse.FromString(answer.content).partial_success.rejected_log_records == 1
    spans = traces_request(span("GET /late", latest - 10**9, 5))
    answer = client.post("/v1/traces", content=spans.SerializeToString(), headers=_auth(key, **PB))
    assert ExportTraceServiceResponse.FromString(answer.content).partial_success.rejected_spans == 1
    assert _stored(runtime) == (["log.records", "units_sold"], ["motor warm"])
