"""Telemetry: OTLP metrics, traces and logs, business data, the metric store and its queries."""
