"""Telemetry use-cases, the domain's public face: OTLP ingestion (metrics, traces as RED figures, logs).
Callers own the transaction.

The use-cases live in topic modules; this module is what other layers import."""

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

__all__ = [
    "JSON",
    "PROTOBUF",
    "Batch",
    "Decoded",
    "OtlpLimits",
    "OtlpReceiver",
    "Outcome",
    "Signal",
    "WireError",
    "Writer",
    "Written",
    "authenticate",
    "decode_request",
    "failure",
    "inflate",
    "ingest",
    "is_gzip",
    "media_type",
    "success",
    "too_large",
]
