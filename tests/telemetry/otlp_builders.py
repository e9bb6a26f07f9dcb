"""OTLP requests for tests, built with the generated protobuf classes."""

from __future__ import annotations

import functools
import zlib

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AGGREGATION_TEMPORALITY_CUMULATIVE,
    AGGREGATION_TEMPORALITY_DELTA,
    Metric,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

DELTA, CUMULATIVE = AGGREGATION_TEMPORALITY_DELTA, AGGREGATION_TEMPORALITY_CUMULATIVE
T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns
SECOND = 1_000_000_000


def kv(key: str, value: str | int | float | bool) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def resource(service: str | None = "flight-control", environment: str | None = None, **extra: str) -> Resource:
    pairs = [kv("service.name", service)] if service is not None else []
    if environment is not None:
        pairs.append(kv("deployment.environment.name", environment))
    pairs += [kv(key.replace("_", "."), value) for key, value in extra.items()]
    return Resource(attributes=pairs)


def metrics_request(*metrics: Metric, origin: Resource | None = None) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.CopyFrom(origin if origin is not None else resource())
    resource_metrics.scope_metrics.add().metrics.extend(metrics)
    return request


def counter(name: str, value: int, *, cumulative: bool = False, time_ns: int = T0, **attributes: str) -> Metric:
    metric = Metric(name=name, unit="{unit}")
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = CUMULATIVE if cumulative else DELTA
    point = metric.sum.data_points.add(time_unix_nano=time_ns, start_time_unix_nano=T0 - 60 * SECOND, as_int=value)
    point.attributes.extend(kv(k, v) for k, v in attributes.items())
    return metric


def gauge(name: str, value: float, *, time_ns: int = T0) -> Metric:
    metric = Metric(name=name, unit="%")
    metric.gauge.data_points.add(time_unix_nano=time_ns, as_double=value)
    return metric


def span(
    name: str,
    start: int,
    millis: float,
    attributes: dict[str, str | int] | None = None,
    *,
    kind: Span.SpanKind.ValueType = Span.SPAN_KIND_SERVER,
) -> Span:
    made = Span(
        name=name,
        kind=kind,
        trace_id=bytes(range(16)),
        span_id=bytes(range(8)),
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(millis * 1_000_000),
    )
    made.attributes.extend(kv(k, v) for k, v in (attributes or {}).items())
    return made


def traces_request(*spans: Span, origin: Resource | None = None) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.CopyFrom(origin if origin is not None else resource())
    resource_spans.scope_spans.add().spans.extend(spans)
    return request


def logs_request(*records: LogRecord, origin: Resource | None = None) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.CopyFrom(origin if origin is not None else resource())
    resource_logs.scope_logs.add().log_records.extend(records)
    return request


@functools.cache
def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """`inflated` bytes of zeros, gzip-compressed (1 GiB becomes about 1 MiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + compressor.flush()
