"""The real OpenTelemetry Python SDK and its OTLP/HTTP exporters, unchanged, against a real server: what
they send (twice) is queryable exactly once through the query API.

OTLP/JSON here: the SDK's own collected data, encoded by its protobuf encoder and written as OTLP/JSON by
`google.protobuf.json_format` with the protocol's deviations (integer enums, 64-bit integers as strings, hex
ids). The SDK's own JSON exporter, which can't be installed beside the protobuf one, is driven from a
virtualenv of its own in test_otlp_json_exporter.py."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import httpx
from google.protobuf import json_format
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from digital_factory.accounts.schemas import Role
from tests.browser import LiveServer
from tests.factories import make_user

SERVICE = "fleet-api"
RESOURCE = Resource.create({"service.name": SERVICE, "deployment.environment.name": "prod"})


def _exporting(server: LiveServer, key: str, signal: str) -> dict[str, Any]:
    """An SDK exporter's settings for this server: the signal's path, the key, gzip."""
    return {
        "endpoint": f"{server.url}/v1/{signal}",
        "headers": {"Authorization": f"Bearer {key}"},
        "compression": Compression.Gzip,
    }


def _record_drone_metrics(reader: MetricReader) -> MeterProvider:
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter = provider.get_meter("drones")
    flights = meter.create_counter("drone.flights", unit="{flight}")
    flights.add(3, {"model": "heavy-lift"})
    flights.add(2, {"model": "light"})
    meter.create_gauge("drone.battery", unit="%").set(87.5, {"drone": "d-7"})
    payload = meter.create_histogram(
        "drone.payload_kg", unit="kg", explicit_bucket_boundaries_advisory=[1.0, 5.0, 10.0]
    )
    for kilograms in (0.5, 3.0, 7.0):
        payload.record(kilograms)
    return provider


def _assert_sent_once(value: Any) -> None:
    assert value("sum(drone.flights[1h])") == 5
    assert value('sum(drone.flights{model="heavy-lift"}[1h])') == 3
    assert value("last(drone.battery[1h])") == 87.5
    assert value("max(drone.battery[1h])") == 87.5
    assert value("count(drone.payload_kg[1h])") == 3
    assert value("sum(drone.payload_kg[1h])") == 10.5


def test_the_sdk_protobuf_exporter_with_gzip_sends_twice_and_the_values_count_once(
    live_server: LiveServer, ingestion_key: str, query: Any
) -> None:
    exporter = OTLPMetricExporter(**_exporting(live_server, ingestion_key, "metrics"))
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = _record_drone_metrics(reader)
    assert provider.force_flush()
    assert provider.force_flush()
    provider.shutdown()  # exports a third time
    _assert_sent_once(query)


def _as_otlp_json(document: Any) -> Any:
    """protobuf JSON → OTLP/JSON: ids in hex instead of base64 (enums and int64 are already as OTLP wants)."""
    if isinstance(document, list):
        return [_as_otlp_json(item) for item in document]
    if not isinstance(document, dict):
        return document
    return {
        key: base64.b64decode(value).hex() if key in ("traceId", "spanId") else _as_otlp_json(value)
        for key, value in document.items()
    }


def test_otlp_json_of_the_sdks_data_sent_twice_counts_once(
    live_server: LiveServer, ingestion_key: str, query: Any
) -> None:
    reader = InMemoryMetricReader()
    provider = _record_drone_metrics(reader)
    headers = {
        "Authorization": f"Bearer {ingestion_key}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    for _ in range(2):
        data = reader.get_metrics_data()
        assert data is not None
        document = _as_otlp_json(json_format.MessageToDict(encode_metrics(data), use_integers_for_enums=True))
        answer = httpx.post(
            f"{live_server.url}/v1/metrics", content=gzip.compress(json.dumps(document).encode()), headers=headers
        )
        assert (answer.status_code, answer.json()) == (200, {})
    provider.shutdown()
    _assert_sent_once(query)


def test_sdk_spans_become_red_figures(live_server: LiveServer, ingestion_key: str, query: Any) -> None:
    exporter = OTLPSpanExporter(**_exporting(live_server, ingestion_key, "traces"))
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("fleet")
    for status_code in (200, 200, 503):
        with tracer.start_as_current_span("GET /drones/{id}", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.route", "/drones/{id}")
            span.set_attribute("http.response.status_code", status_code)
            with tracer.start_as_current_span("db query", kind=SpanKind.CLIENT):
                pass
    with tracer.start_as_current_span("POST /flights", kind=SpanKind.SERVER) as span:
        span.set_attribute("url.path", "/flights?drone=7")
        span.set_status(Status(StatusCode.ERROR))
    provider.shutdown()
    assert query('sum(red.requests{route="/drones/{id}"}[1h])') == 3
    assert query('sum(red.errors{route="/drones/{id}"}[1h])') == 1
    assert query('sum(red.requests{route="/flights"}[1h])') == 1
    assert query('sum(red.errors{route="/flights"}[1h])') == 1
    assert query("count(red.duration_ms[1h])") == 4
    assert query("p99(red.duration_ms[1h])") is not None


def test_sdk_logs_become_lines_and_counts(live_server: LiveServer, ingestion_key: str, query: Any) -> None:
    exporter = OTLPLogExporter(**_exporting(live_server, ingestion_key, "logs"))
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("drones")
    logger.emit(severity_number=SeverityNumber.WARN, body="battery low on d-7")
    logger.emit(severity_number=SeverityNumber.ERROR, body="motor overheated on d-7", attributes={"drone": "d-7"})
    logger.emit(severity_text="ERROR", body="motor overheated on d-9")
    provider.shutdown()
    assert query('sum(log.records{severity="ERROR"}[1h])') == 2
    assert query('sum(log.records{severity="WARN"}[1h])') == 1
    viewer = make_user(live_server.runtime, "lia", Role.VIEWER)
    lines = httpx.get(f"{live_server.url}/api/v1/telemetry/services/{SERVICE}/logs", headers=viewer.headers).json()
    assert sorted(line["body"] for line in lines) == [
        "battery low on d-7", "motor overheated on d-7", "motor overheated on d-9",
    ]  # fmt: skip
