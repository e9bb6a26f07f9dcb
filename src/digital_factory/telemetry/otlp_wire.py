"""OTLP/HTTP on the wire: the two encodings, gzip within a cap, decoding requests and encoding answers.

Requests are `application/x-protobuf` or `application/json` (OTLP/JSON: lowerCamelCase keys, integer enums,
64-bit integers as strings, trace and span ids as hex), identity or gzip. Answers use the request's encoding:
an `Export*ServiceResponse` on success, a `google.rpc.Status` on failure. Pure: no store, no settings."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
HEX_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})
# google.rpc.Code for each HTTP answer (the protocol does not use it; clients may show it)
GRPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14}


class Signal(StrEnum):
    METRICS = "metrics"
    TRACES = "traces"
    LOGS = "logs"


@dataclass(frozen=True)
class _Kind:
    request: type[Message]
    response: type[Message]
    rejected_field: str  # the partial success's count of refused items


KINDS = {
    Signal.METRICS: _Kind(ExportMetricsServiceRequest, ExportMetricsServiceResponse, "rejected_data_points"),
    Signal.TRACES: _Kind(ExportTraceServiceRequest, ExportTraceServiceResponse, "rejected_spans"),
    Signal.LOGS: _Kind(ExportLogsServiceRequest, ExportLogsServiceResponse, "rejected_log_records"),
}


class WireError(Exception):
    """A request refused before its content is looked at: the HTTP status and a developer-facing message."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


def media_type(content_type: str | None) -> str:
    """The request's encoding from its Content-Type, or 415."""
    base = (content_type or "").split(";")[0].strip().lower()
    if base in (PROTOBUF, JSON):
        return base
    shown = repr(base) if base else "missing"
    raise WireError(415, f"Content-Type must be {PROTOBUF} or {JSON}; it is {shown}")


def is_gzip(content_encoding: str | None) -> bool:
    """Whether the body is gzip-compressed (identity otherwise), or 415 for any other coding."""
    coding = (content_encoding or "").strip().lower()
    if coding in ("", "identity"):
        return False
    if coding in ("gzip", "x-gzip"):
        return True
    raise WireError(415, f"Content-Encoding must be gzip or identity; it is {coding!r}")


def too_large(limit: int) -> WireError:
    return WireError(413, f"the request exceeds the limit of {limit} bytes (after decompression too)")


def inflate(body: bytes, limit: int) -> bytes:
    """The gzip body decompressed, never producing more than `limit` bytes: a bomb stops at the cap (413).

    Concatenated gzip members are accepted (RFC 1952); anything else that is not gzip is 400."""
    out: list[bytes] = []
    size = 0
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(rest, limit - size + 1)
        except zlib.error as exc:
            raise WireError(400, f"the gzip body cannot be decompressed: {exc}") from None
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        out.append(chunk)
        if not inflater.eof:
            raise WireError(400, "the gzip body is truncated")
        rest = inflater.unused_data
        if not rest.strip(b"\x00"):
            return b"".join(out)


def decode(signal: Signal, media: str, body: bytes) -> Message:
    """The export request in `body`, or 400 naming why it cannot be read."""
    request = KINDS[signal].request()
    if media == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RecursionError) as exc:
            raise WireError(400, f"the body is not a valid protobuf {request.DESCRIPTOR.name}: {exc}") from None
        return request
    if not body.strip():
        return request  # an empty request: nothing to store, a success
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise WireError(400, f"the body must be a JSON object (an OTLP/JSON {request.DESCRIPTOR.name})")
        json_format.ParseDict(_ids_to_base64(document), request, ignore_unknown_fields=True)
    except RecursionError:
        raise WireError(400, "the JSON body nests too deeply") from None
    except (ValueError, json_format.ParseError, TypeError, AttributeError) as exc:
        raise WireError(400, f"the body is not a valid OTLP/JSON {request.DESCRIPTOR.name}: {exc}") from None
    return request


def _ids_to_base64(document: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON sends trace and span ids as hex; the protobuf JSON mapping wants base64 (converted in place)."""
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in HEX_ID_FIELDS and isinstance(value, str):
                    node[key] = _hex_to_base64(key, value)
                elif isinstance(value, dict | list):
                    pending.append(value)
    return document


def _hex_to_base64(field: str, value: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(value)).decode()
    except (ValueError, binascii.Error):
        raise WireError(400, f"{field} must be a hex string; it is {value[:40]!r}") from None


def encode(message: Message, media: str) -> bytes:
    if media == PROTOBUF:
        return message.SerializeToString()
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":")).encode()


def success(signal: Signal, media: str, rejected: int, message: str) -> bytes:
    """The export response: empty on full success, with `partial_success` when something was refused."""
    kind = KINDS[signal]
    response = kind.response()
    if rejected or message:
        partial = response.partial_success  # type: ignore[attr-defined]  # every export response has one
        setattr(partial, kind.rejected_field, rejected)
        partial.error_message = message
    return encode(response, media)


def failure(status: int, media: str, message: str) -> bytes:
    """A `google.rpc.Status` for a refused request."""
    return encode(Status(code=GRPC_CODES.get(status, 2), message=message), media)
