"""OTLP logs → log lines and a count by severity per minute:

    log.records{severity}   counter, delta: the records of that severity in the minute (of their time)

Severity from severity_number (1–4 TRACE, 5–8 DEBUG, 9–12 INFO, 13–16 WARN, 17–20 ERROR, 21–24 FATAL), else
from severity_text, else INFO. A record's time is time_unix_nano, else observed_time_unix_nano; one with
neither is refused. A count's time is the latest record time of its group (as for RED points). Pure."""

from __future__ import annotations

from collections import defaultdict

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from digital_factory.telemetry.otlp_values import (
    NUL,
    REPLACEMENT,
    Decoded,
    Portion,
    Refused,
    Tally,
    as_text,
    attributes,
    origin,
    storable_time,
)
from digital_factory.telemetry.points import LOG_BODY_LIMIT, LogLine, MetricKind, Point, Temporality

MINUTE_NS = 60_000_000_000
TRACE_ID_BYTES = 16  # any other length is no trace id
SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SEVERITY_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "ERR": "ERROR", "INFORMATION": "INFO"}


def severity(record: LogRecord) -> str:
    number = record.severity_number
    if 1 <= number <= 24:
        return SEVERITIES[(number - 1) // 4]
    text = record.severity_text.strip().upper()
    text = SEVERITY_ALIASES.get(text, text)
    return text if text in SEVERITIES else "INFO"


def decode_logs(request: ExportLogsServiceRequest) -> Decoded:
    decoded = Decoded(Tally("log records"))
    for resource_logs in request.resource_logs:
        portion = Portion(origin(resource_logs.resource))
        counts: dict[tuple[str, int], list[int]] = defaultdict(list)
        for scope in resource_logs.scope_logs:
            for record in scope.log_records:
                portion.items += 1
                try:
                    line = _line(record, portion)
                except Refused as refused:
                    decoded.refuse(portion, str(refused))
                    continue
                portion.logs.append(line)
                counts[(line.severity, line.time_ns // MINUTE_NS)].append(line.time_ns)
        portion.points = [_count(name, times) for (name, _), times in sorted(counts.items())]
        decoded.portions.append(portion)
    return decoded


def _line(record: LogRecord, portion: Portion) -> LogLine:
    time_ns = record.time_unix_nano or record.observed_time_unix_nano
    if not time_ns:
        raise Refused("a log record has neither time_unix_nano nor observed_time_unix_nano")
    storable_time(time_ns, "a log record's time")
    body = as_text(record.body) if record.HasField("body") else ""
    return LogLine(
        time_ns=time_ns,
        severity=severity(record),
        body=body[:LOG_BODY_LIMIT].replace(NUL, REPLACEMENT),
        trace_id=record.trace_id.hex() if len(record.trace_id) == TRACE_ID_BYTES else None,
        attributes=attributes(record.attributes, portion.origin.extra),
    )


def _count(name: str, times: list[int]) -> Point:
    return Point(
        metric="log.records",
        kind=MetricKind.COUNTER,
        attributes=(("severity", name),),
        time_ns=max(times),
        value=float(len(times)),
        temporality=Temporality.DELTA,
        start_ns=min(times),
        unit="{record}",
    )
