"""Telemetry's face: OTLP ingestion (metrics, traces as RED figures, logs), the metric store's writes and
queries, a service's series and logs. Callers own the transaction.

Edges import only this module and `schemas`; the topic modules behind it are private."""

from __future__ import annotations

from digital_factory.telemetry.ingest import (
    OtlpLimits,
    OtlpReceiver,
    Outcome,
    Writer,
    authenticate,
    decode_request,
    ingest,
)
from digital_factory.telemetry.listing import list_series, metric_names, recent_logs, severity_counts
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.otlp_values import Decoded
from digital_factory.telemetry.otlp_wire import (
    JSON,
    PROTOBUF,
    Signal,
    WireError,
    failure,
    inflate,
    is_gzip,
    media_type,
    success,
    too_large,
)
from digital_factory.telemetry.points import Batch, Written
from digital_factory.telemetry.queries import evaluate, query_range
from digital_factory.telemetry.retention import Pruned, Retention, prune

__all__ = [
    "JSON",
    "PROTOBUF",
    "Batch",
    "Decoded",
    "OtlpLimits",
    "OtlpReceiver",
    "Outcome",
    "Pruned",
    "Retention",
    "Signal",
    "WireError",
    "Writer",
    "Written",
    "authenticate",
    "decode_request",
    "evaluate",
    "failure",
    "inflate",
    "ingest",
    "is_gzip",
    "list_series",
    "media_type",
    "metric_names",
    "prune",
    "query_range",
    "recent_logs",
    "severity_counts",
    "success",
    "too_large",
    "write_batches",
]
