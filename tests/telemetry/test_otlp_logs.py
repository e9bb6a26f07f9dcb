"""OTLP log records become log lines and counts by severity per minute."""

from __future__ import annotations

from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from digital_factory.telemetry.otlp_logs import decode_logs, severity
from digital_factory.telemetry.points import LOG_BODY_LIMIT, LogLine, MetricKind, Point, Temporality
from tests.telemetry.otlp_builders import SECOND, T0, kv, logs_request, resource


def test_severity_numbers_map_to_ranges_then_text_then_info() -> None:
    numbers = {
        1: "TRACE",
        4: "TRACE",
        5: "DEBUG",
        9: "INFO",
        13: "WARN",
        16: "WARN",
        17: "ERROR",
        21: "FATAL",
        24: "FATAL",
    }
    for number, name in numbers.items():
        assert severity(LogRecord(severity_number=number)) == name  # type: ignore[arg-type]
    assert severity(LogRecord(severity_text="warning")) == "WARN"
    assert severity(LogRecord(severity_text="Error")) == "ERROR"
    assert severity(LogRecord(severity_text="chatty")) == "INFO"
    assert severity(LogRecord()) == "INFO"


def test_records_become_lines_and_counts_per_severity_and_minute() -> None:
    records = [
        LogRecord(time_unix_nano=T0, severity_number=17, body=AnyValue(string_value="motor overheated"),  # type: ignore[arg-type]
                  trace_id=bytes(range(16)), attributes=[kv("drone", "d-7")]),
        LogRecord(observed_time_unix_nano=T0 + SECOND, severity_text="ERROR", body=AnyValue(int_value=42)),
        LogRecord(time_unix_nano=T0 + 2 * SECOND, severity_number=9, body=AnyValue(string_value="x" * 3000)),  # type: ignore[arg-type]
        LogRecord(severity_number=9),  # type: ignore[arg-type]
    ]  # fmt: skip
    decoded = decode_logs(logs_request(*records, origin=resource("flight-control", "prod", host_name="edge-1")))
    portion = decoded.portions[0]
    assert (
        decoded.tally.message
        == "1 log records rejected: a log record has neither time_unix_nano nor observed_time_unix_nano"
    )
    assert portion.logs[0] == LogLine(
        time_ns=T0, severity="ERROR", body="motor overheated", trace_id=bytes(range(16)).hex(),
        attributes=(("drone", "d-7"), ("host.name", "edge-1")),
    )  # fmt: skip
    assert (portion.logs[1].body, portion.logs[1].time_ns, portion.logs[1].trace_id) == ("42", T0 + SECOND, None)
    assert len(portion.logs[2].body) == LOG_BODY_LIMIT
    assert portion.points == [
        Point("log.records", MetricKind.COUNTER, (("severity", "ERROR"),), T0 + SECOND, 2.0, Temporality.DELTA, T0,
              unit="{record}"),
        Point("log.records", MetricKind.COUNTER, (("severity", "INFO"),), T0 + 2 * SECOND, 1.0, Temporality.DELTA,
              T0 + 2 * SECOND, unit="{record}"),
    ]  # fmt: skip
