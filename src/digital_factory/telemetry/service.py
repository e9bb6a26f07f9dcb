"""Telemetry's face: the metric store's queries, a service's series and logs, business data in and out.

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
from digital_factory.telemetry.listing import list_series, metric_names, recent_logs, severity_counts
from digital_factory.telemetry.queries import evaluate, query_range

__all__ = [
    "BULK_TYPES",
    "IDEMPOTENCY_HEADER",
    "BusinessRequest",
    "BusinessSender",
    "business_summary",
    "evaluate",
    "events_from_json",
    "events_from_upload",
    "list_feedback",
    "list_series",
    "metric_names",
    "query_range",
    "recent_logs",
    "record_business_events",
    "severity_counts",
]
