"""Run by tests/api/test_otlp_json_exporter.py in a virtualenv of its own (the OTLP/JSON exporter can't be
installed beside the protobuf one): the OpenTelemetry SDK's OTLP/HTTP JSON exporter, gzip on, sends a
counter, a gauge and a histogram, exported twice, to the server at argv[1] with the ingestion key argv[2]."""

import sys

from opentelemetry.exporter.otlp.common.http import Compression
from opentelemetry.exporter.otlp.json.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

url, key = sys.argv[1], sys.argv[2]
exporter = OTLPMetricExporter(
    endpoint=f"{url}/v1/metrics", headers={"Authorization": f"Bearer {key}"}, compression=Compression.GZIP
)
reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
resource = Resource.create({"service.name": "fleet-api", "deployment.environment.name": "prod"})
provider = MeterProvider(resource=resource, metric_readers=[reader])
meter = provider.get_meter("drones")
flights = meter.create_counter("drone.flights", unit="{flight}")
flights.add(3, {"model": "heavy-lift"})
flights.add(2, {"model": "light"})
meter.create_gauge("drone.battery", unit="%").set(87.5, {"drone": "d-7"})
payload = meter.create_histogram("drone.payload_kg", unit="kg", explicit_bucket_boundaries_advisory=[1.0, 5.0, 10.0])
for kilograms in (0.5, 3.0, 7.0):
    payload.record(kilograms)
if not (provider.force_flush() and provider.force_flush()):
    sys.exit("an export failed")
provider.shutdown()
