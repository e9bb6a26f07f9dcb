"""OTLP traces → RED points (rate, errors, duration) per route and minute, what a team looks at first.

Only server spans count (kind SERVER); a request without any server span counts its root spans instead.
Per resource, route and minute (of the span's end) the request holds:

    red.requests{route}     counter, delta: the spans
    red.errors{route}       counter, delta: spans with status ERROR or http.response.status_code >= 500
                            (only when there are some)
    red.duration_ms{route}  histogram, delta: (end - start) / 1e6 in DURATION_BOUNDS_MS buckets

A point's time is the latest span end of its group and its start the earliest span start, so a re-sent
request yields the same points (not counted twice) while another request in the same minute does not. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from digital_factory.core.schemas import LATEST_YEAR
from digital_factory.telemetry.otlp_values import END_NS, NUL, REPLACEMENT, Decoded, Portion, Tally, as_text, origin
from digital_factory.telemetry.points import Buckets, MetricKind, Point, Temporality

MINUTE_NS = 60_000_000_000
DURATION_BOUNDS_MS = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)
MAX_ROUTE_LENGTH = 256
STATUS_CODES = ("http.response.status_code", "http.status_code")
PATHS = ("url.path", "http.target")


@dataclass
class _Group:
    """The spans of one route in one minute."""

    first_start: int
    last_end: int
    requests: int = 0
    errors: int = 0
    durations: list[float] = field(default_factory=list)

    def add(self, span: Span) -> None:
        self.first_start = min(self.first_start, span.start_time_unix_nano)
        self.last_end = max(self.last_end, span.end_time_unix_nano)
        self.requests += 1
        self.errors += int(is_error(span))
        self.durations.append((span.end_time_unix_nano - span.start_time_unix_nano) / 1e6)


def decode_traces(request: ExportTraceServiceRequest) -> Decoded:
    decoded = Decoded(Tally("spans"))
    server_only = any(
        span.kind == Span.SPAN_KIND_SERVER
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    )
    for resource_spans in request.resource_spans:
        portion = Portion(origin(resource_spans.resource))
        groups: dict[tuple[str, int], _Group] = {}
        for scope in resource_spans.scope_spans:
            for span in scope.spans:
                portion.items += 1
                reason = _invalid(span)
                counted = span.kind == Span.SPAN_KIND_SERVER if server_only else not span.parent_span_id
                if reason:
                    decoded.refuse(portion, reason)
                elif counted:
                    key = (route(span), span.end_time_unix_nano // MINUTE_NS)
                    group = groups.setdefault(key, _Group(span.start_time_unix_nano, span.end_time_unix_nano))
                    group.add(span)
        portion.points = [point for (name, _), group in sorted(groups.items()) for point in _red(name, group)]
        decoded.portions.append(portion)
    return decoded


def _invalid(span: Span) -> str | None:
    if not span.start_time_unix_nano or not span.end_time_unix_nano:
        return f"span {span.name[:60]!r} has no start or end time"
    if span.end_time_unix_nano < span.start_time_unix_nano:
        return f"span {span.name[:60]!r} ends before it starts"
    if span.end_time_unix_nano >= END_NS:
        return f"span {span.name[:60]!r} ends after the year {LATEST_YEAR}"
    return None


def _attribute(span: Span, keys: tuple[str, ...]) -> str | None:
    found = {pair.key: as_text(pair.value) for pair in span.attributes if pair.key in keys}
    return next((found[key] for key in keys if found.get(key)), None)


def route(span: Span) -> str:
    """`http.route`, else the path (`url.path`, `http.target`) without its query, else the span's name."""
    path = _attribute(span, ("http.route",)) or (_attribute(span, PATHS) or "").split("?")[0]
    return (path or span.name or "(unnamed)")[:MAX_ROUTE_LENGTH].replace(NUL, REPLACEMENT)


def is_error(span: Span) -> bool:
    if span.status.code == Status.STATUS_CODE_ERROR:
        return True
    code = _attribute(span, STATUS_CODES)
    return code is not None and code.isdigit() and int(code) >= 500


def duration_buckets(durations: list[float]) -> Buckets:
    counts = [0] * (len(DURATION_BOUNDS_MS) + 1)
    for duration in durations:
        counts[next((i for i, bound in enumerate(DURATION_BOUNDS_MS) if duration <= bound), -1)] += 1
    return Buckets(DURATION_BOUNDS_MS, tuple(counts), sum(durations), min(durations), max(durations))


def _red(name: str, group: _Group) -> list[Point]:
    def point(metric: str, kind: MetricKind, value: int, unit: str, buckets: Buckets | None = None) -> Point:
        return Point(
            metric=metric,
            kind=kind,
            attributes=(("route", name),),
            time_ns=group.last_end,
            value=float(value),
            temporality=Temporality.DELTA,
            start_ns=group.first_start,
            buckets=buckets,
            unit=unit,
        )

    points = [
        point("red.requests", MetricKind.COUNTER, group.requests, "{request}"),
        point("red.duration_ms", MetricKind.HISTOGRAM, group.requests, "ms", duration_buckets(group.durations)),
    ]
    if group.errors:
        points.insert(1, point("red.errors", MetricKind.COUNTER, group.errors, "{request}"))
    return points
