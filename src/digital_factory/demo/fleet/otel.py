"""A round of the fleet, reported through the OpenTelemetry Python SDK over OTLP/HTTP (protobuf, gzip).

Simulated time: the points carry the round's simulated timestamps, not the wall clock. The SDK's metric
instruments stamp their points with the time of collection, so metrics are built as the SDK's own export
data (`MetricsData`: delta sums, gauges, explicit-bucket histograms) and handed to its OTLP exporter.
Spans go through the SDK's tracer with explicit start and end times, log records through its logger with
explicit timestamps (linked to their mission's span); both are collected in memory and exported once per
round, so every round is three requests and its answers are known before the next one starts."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import requests
from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, StatusCode, set_span_in_context

from digital_factory.demo.fleet.model import Round
from digital_factory.demo.fleet.run import NANOS, Sent

SCOPE = InstrumentationScope("digital_factory.fleet", "1")
PAYLOAD_BOUNDS = (0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5)
CSAT_BOUNDS = (1.0, 2.0, 3.0, 4.0)
NPS_BOUNDS = (6.0, 8.0)
SEVERITY = {"INFO": SeverityNumber.INFO, "WARN": SeverityNumber.WARN, "ERROR": SeverityNumber.ERROR}
RESPONSES: dict[str, type[Message]] = {
    "/v1/metrics": ExportMetricsServiceResponse,
    "/v1/traces": ExportTraceServiceResponse,
    "/v1/logs": ExportLogsServiceResponse,
}


class ExportFailed(Exception):
    """The server did not take a round's data; the message says why, in one line."""


class SeededIds(IdGenerator):
    """Trace and span ids from the run's seed, so a replay sends the same ids."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed ^ 0x5EED)

    def generate_span_id(self) -> int:
        return self.rng.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self.rng.getrandbits(128) or 1


class Answers:
    """The server's last answer to each export, read from the exporters' HTTP session: the status, and the
    reason for a refusal or a partial success (the `google.rpc.Status` or export response it sent)."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self.last = ""
        self.session = requests.Session()
        self.session.hooks["response"].append(self._seen)

    def _seen(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        path = "/v1/" + response.url.rsplit("/v1/", 1)[-1]
        self.last = f"{response.status_code} {response.reason}"
        if response.status_code >= 400:
            self.problem = f"{path} answered {response.status_code}: {_status_message(response)}"
            return
        shape = RESPONSES.get(path)
        if shape is None or not response.content:
            return
        answer = shape()
        try:
            answer.ParseFromString(response.content)
        except DecodeError:
            return
        if answer.HasField("partial_success"):
            partial = answer.partial_success  # type: ignore[attr-defined]
            refused = next((v for f, v in partial.ListFields() if f.name.startswith("rejected_")), 0)
            if refused:
                self.problem = f"{path} kept only part of the round: {partial.error_message or f'{refused} refused'}"


def _status_message(response: requests.Response) -> str:
    status = Status()
    try:
        status.ParseFromString(response.content)
    except DecodeError:
        return response.reason or "refused"
    return status.message or response.reason or "refused"


class Reporter:
    """Sends rounds through the SDK's OTLP/HTTP exporters, as `service` in `environment`."""

    def __init__(self, url: str, key: str, service: str, environment: str, *, seed: int, timeout: float) -> None:
        self.resource = Resource({"service.name": service, "deployment.environment.name": environment})
        self.answers = Answers()
        base, headers, session = url.rstrip("/"), {"Authorization": f"Bearer {key}"}, self.answers.session
        self.base = base
        gzip = Compression.Gzip
        self.metrics = OTLPMetricExporter(
            f"{base}/v1/metrics", headers=headers, timeout=timeout, compression=gzip, session=session
        )
        self.spans = OTLPSpanExporter(
            f"{base}/v1/traces", headers=headers, timeout=timeout, compression=gzip, session=session
        )
        self.logs = OTLPLogExporter(
            f"{base}/v1/logs", headers=headers, timeout=timeout, compression=gzip, session=session
        )
        self.span_buffer = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(resource=self.resource, id_generator=SeededIds(seed))
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_buffer))
        self.log_buffer = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
        self.logger_provider = LoggerProvider(resource=self.resource)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_buffer))
        self.tracer = self.tracer_provider.get_tracer(SCOPE.name, SCOPE.version)
        self.logger = self.logger_provider.get_logger(SCOPE.name, SCOPE.version)

    def send(self, played: Round, start_ns: int) -> Sent:
        """Export the round whose simulated time starts at `start_ns`; ExportFailed when refused."""
        end_ns = start_ns + int(played.minutes * 60 * NANOS)
        data = metrics_of(played, self.resource, start_ns, end_ns)
        self._check(self.metrics.export(data) is MetricExportResult.SUCCESS, "metrics")
        contexts = self._record_spans(played, start_ns)
        self._record_logs(played, start_ns, contexts)
        spans = self.span_buffer.get_finished_spans()
        self.span_buffer.clear()
        self._check(self.spans.export(spans) is SpanExportResult.SUCCESS, "traces")
        records = self.log_buffer.get_finished_logs()
        self.log_buffer.clear()
        self._check(self.logs.export(records) is LogRecordExportResult.SUCCESS, "logs")
        points = sum(len(m.data.data_points) for m in data.resource_metrics[0].scope_metrics[0].metrics)
        return Sent(points, len(spans), len(records), len(played.missions), self.answers.last)

    def _check(self, success: bool, signal: str) -> None:
        problem, self.answers.problem = self.answers.problem, None
        if problem:
            raise ExportFailed(problem)
        if not success:
            raise ExportFailed(f"{self.base}/v1/{signal} could not be reached (refused, or no answer in time)")

    def _record_spans(self, played: Round, start_ns: int) -> dict[str, Context]:
        """One server span per fleet-API request; the mission spans' contexts, for their log lines."""
        contexts: dict[str, Context] = {}
        for request in played.requests:
            begin = start_ns + int(request.offset_s * NANOS)
            span = self.tracer.start_span(
                f"{request.method} {request.route}",
                kind=SpanKind.SERVER,
                start_time=begin,
                attributes={
                    "http.request.method": request.method,
                    "http.route": request.route,
                    "url.path": request.target,
                    "http.response.status_code": request.status,
                },
            )
            if request.status >= 500:
                span.set_status(StatusCode.ERROR, f"answered {request.status}")
            span.end(end_time=begin + int(request.duration_ms * 1_000_000))
            if request.mission:
                contexts[request.mission] = set_span_in_context(span)
        return contexts

    def _record_logs(self, played: Round, start_ns: int, contexts: dict[str, Context]) -> None:
        for line in played.logs:
            self.logger.emit(
                timestamp=start_ns + int(line.offset_s * NANOS),
                context=contexts.get(line.attributes.get("mission", "")),
                severity_number=SEVERITY[line.severity],
                severity_text=line.severity,
                body=line.message,
                attributes=line.attributes,
            )

    def close(self) -> None:
        """Flush what is buffered and shut the SDK down (also after an interruption)."""
        for provider in (self.tracer_provider, self.logger_provider):
            provider.force_flush()
            provider.shutdown()
        for exporter in (self.metrics, self.spans, self.logs):
            exporter.shutdown()
        self.answers.session.close()


# --- metrics as the SDK's export data ---------------------------------------------------------------


def metrics_of(played: Round, resource: Resource, start_ns: int, end_ns: int) -> MetricsData:
    """The round's metrics, stamped with its simulated interval (delta sums and histograms, gauges at its end)."""

    def counter(name: str, unit: str, values: Iterable[tuple[dict[str, str], float]]) -> Metric:
        points = [NumberDataPoint(attrs, start_ns, end_ns, value) for attrs, value in values]
        return Metric(name, None, unit, Sum(points, AggregationTemporality.DELTA, is_monotonic=True))

    def gauge(name: str, unit: str, values: Iterable[tuple[str, float]]) -> Metric:
        points = [NumberDataPoint({"drone": drone}, start_ns, end_ns, value) for drone, value in values]
        return Metric(name, None, unit, Gauge(points))

    def histogram(
        name: str, unit: str, by: str, samples: Sequence[tuple[str, float]], bounds: Sequence[float]
    ) -> Metric:
        points = [
            _distribution({by: label}, [v for a, v in samples if a == label], bounds, start_ns, end_ns)
            for label in sorted({a for a, _ in samples})
        ]
        return Metric(name, None, unit, Histogram(points, AggregationTemporality.DELTA))

    flights = [({"payload": p, "outcome": o}, float(n)) for (p, o), n in sorted(played.flights.items())]
    failures = [({"kind": kind}, float(n)) for kind, n in sorted(played.failures.items())]
    units = [({"product": p, "region": r}, float(n)) for (p, r), n in sorted(played.units_sold.items())]
    revenue = [({"product": p, "region": r}, value) for (p, r), value in sorted(played.revenue().items())]
    metrics = [
        counter("drone.flights", "{flight}", flights),
        counter("drone.failures", "{failure}", failures),
        histogram("drone.payload_kg", "kg", "payload", [(m.payload, m.kg) for m in played.missions], PAYLOAD_BOUNDS),
        gauge("drone.battery_pct", "%", [(r.drone, r.battery_pct) for r in played.readings]),
        gauge("drone.motor_temp_c", "Cel", [(r.drone, r.motor_temp_c) for r in played.readings]),
        counter("business.units_sold", "{unit}", units),
        counter("business.revenue", "{EUR}", revenue),
        histogram("customer.csat.score", "1", "product", [(p, float(s)) for p, s in played.csat], CSAT_BOUNDS),
        histogram("customer.nps.response", "1", "product", [(p, float(s)) for p, s in played.nps], NPS_BOUNDS),
    ]
    present = [metric for metric in metrics if metric.data.data_points]
    return MetricsData([ResourceMetrics(resource, [ScopeMetrics(SCOPE, present, "")], "")])


def _distribution(
    attributes: dict[str, str], values: Sequence[float], bounds: Sequence[float], start_ns: int, end_ns: int
) -> HistogramDataPoint:
    buckets = Counter(sum(1 for bound in bounds if value > bound) for value in values)
    return HistogramDataPoint(
        attributes=attributes,
        start_time_unix_nano=start_ns,
        time_unix_nano=end_ns,
        count=len(values),
        sum=sum(values),
        bucket_counts=[buckets.get(index, 0) for index in range(len(bounds) + 1)],
        explicit_bounds=list(bounds),
        min=min(values),
        max=max(values),
    )


def quiet_exporter_logs() -> Callable[[], None]:
    """The exporters log each failure with its traceback; the simulator says it once itself. Returns undo."""
    logger = logging.getLogger("opentelemetry")
    before = (logger.level, logger.propagate)
    logger.setLevel(logging.CRITICAL)
    logger.propagate = False

    def undo() -> None:
        logger.setLevel(before[0])
        logger.propagate = before[1]

    return undo
