"""Telemetry's face: the metric store's queries, a service's series and logs.

Edges import only this module and `schemas`; the topic modules behind it are private."""

from __future__ import annotations

from digital_factory.telemetry.listing import list_series, metric_names, recent_logs, severity_counts
from digital_factory.telemetry.queries import evaluate, query_range

__all__ = [
    "evaluate",
    "list_series",
    "metric_names",
    "query_range",
    "recent_logs",
    "severity_counts",
]
