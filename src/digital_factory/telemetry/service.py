"""Telemetry's face: OTLP ingestion (metrics, traces as RED figures, logs) and business data into the
metric store, the store's queries, a service's series and logs. Callers own the transaction.

Edges import only this module and `schemas`; the topic modules behind it are private."""

from __future__ import annotations

from digital_factory.telemetry.business_input import BULK_TYPES, events_from_json, events_from_upload
from digital_factory.telemetry.business_reads import business_summary, list_feedback
from digital_factory.telemetry.business_record import (
    IDEMPOTENCY_HEADER,
    BusinessRequest,
    BusinessSender,
    record_business_events,
)
from digital_factory.telemetry.ingest import (
    OtlpLimits,
    OtlpReceiver,
    Outcome,
    Writer,
    authenticate,
    decode_request,
    ingest,
)
from digital_factory.telemetry.listing import (
    list_series,
    metric_names,
    recent_logs,
    services_sending,
    severity_counts,
    severity_counts_of,
)
from digital_factory.telemetry.models import METRIC_TABLES
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
from digital_factory.telemetry.queries import evaluate, evaluate_many
from digital_factory.telemetry.ranges import query_range
from digital_factory.telemetry.retention import Pruned, Retention, prune

__all__ = [
    "BULK_TYPES",
    "IDEMPOTENCY_HEADER",
    "JSON",
    "METRIC_TABLES",
    "PROTOBUF",
    "Batch",
    "BusinessRequest",
    "BusinessSender",
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
    "business_summary",
    "decode_request",
    "evaluate",
    "evaluate_many",
    "events_from_json",
    "events_from_upload",
    "failure",
    "inflate",
    "ingest",
    "is_gzip",
    "list_feedback",
    "list_series",
    "media_type",
    "metric_names",
    "prune",
    "query_range",
    "recent_logs",
    "record_business_events",
    "services_sending",
    "severity_counts",
    "severity_counts_of",
    "success",
    "too_large",
]
