"""OTLP/HTTP metrics ingestion driven by `wrk`: protobuf export requests of 1,000 points each posted to
/v1/metrics of a real `factory serve` (on the embedded SQLite store, then on PostgreSQL), counted as unique
points stored per second, beside a raw batched insert of the same rows (1,000 per transaction) into a plain
table of the same shape in the same store, in the same run.

Each request carries its own timestamps (the store ignores a re-sent point), taken from a set of prepared
bodies that wrk's threads walk without overlap; the figure is what the store counted, not what was sent."""

from __future__ import annotations

import shutil

from sqlalchemy import Engine, func, insert, select

from bench.harness import Result, each_database, plain_points, running_server, seconds, wrk_post
from digital_factory.app.factory import build_runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.settings import Settings
from digital_factory.store.engine import make_engine

SERIES = 20
TIMES = 50  # per series in one request: 1,000 points
BODIES = 600
DURATION = 10  # seconds of wrk
T0 = 1_790_000_000 * 1_000_000_000
SECOND = 1_000_000_000


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): skipped")
        return []
    results = []
    for backend, url in each_database():
        results.append(_run_on(backend, url))
    return results


def _run_on(backend: str, url: str | None) -> Result:
    with running_server(url) as server:
        settings = Settings(home=server.home, log_level="WARNING", database_url=url)
        key = _service_with_key(settings)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-protobuf"}
        run = wrk_post(server.url, "/v1/metrics", [(body, headers) for body in _bodies()], duration=DURATION)
        engine = make_engine(settings.effective_database_url)
        try:
            stored = _count(engine)
            baseline = _raw_insert(engine)
        finally:
            engine.dispose()
    print(f"  {backend} wrk: {run.requests} requests ({run.requests * SERIES * TIMES:,} points), {run.refused} not 2xx")
    return Result(
        f"OTLP/HTTP protobuf metrics ingestion, wrk 2 threads / 4 connections, {SERIES * TIMES:,} points "
        f"a request (unique points stored/s, {backend})",
        stored / run.seconds,
        "points/s",
        "raw batched insert (executemany) of the same rows, plain table, same store",
        baseline,
    )


def _service_with_key(settings: Settings) -> str:
    runtime = build_runtime(settings)
    try:
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            catalog.register_service(uow, ServiceCreate(key="flight-control", name="Flight control"))
            made = catalog.create_ingestion_key(uow, runtime.digester, "flight-control", IngestionKeyCreate(name="b"))
        return made.secret
    finally:
        runtime.executor.stop()
        runtime.store.dispose()


def _bodies() -> list[bytes]:
    """Export requests of 1,000 delta points each, every one with its own timestamps."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.metrics.v1.metrics_pb2 import AGGREGATION_TEMPORALITY_DELTA

    bodies = []
    for number in range(BODIES):
        request = ExportMetricsServiceRequest()
        resource_metrics = request.resource_metrics.add()
        resource_metrics.resource.attributes.append(
            KeyValue(key="service.name", value=AnyValue(string_value="flight-control"))
        )
        metric = resource_metrics.scope_metrics.add().metrics.add(name="red.requests", unit="{request}")
        metric.sum.is_monotonic = True
        metric.sum.aggregation_temporality = AGGREGATION_TEMPORALITY_DELTA
        for step in range(TIMES):
            for series in range(SERIES):
                point = metric.sum.data_points.add(
                    time_unix_nano=T0 + (number * TIMES + step) * SECOND, as_int=step % 7 + 1
                )
                point.attributes.append(KeyValue(key="route", value=AnyValue(string_value=f"/r/{series}")))
        bodies.append(request.SerializeToString())
    return bodies


def _count(engine: Engine) -> int:
    from digital_factory.telemetry import models

    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(models.Point)).scalar_one())


def _raw_insert(engine: Engine) -> float:
    plain = plain_points(engine)
    batches = [
        [
            {"series_id": series + 1, "time_ns": T0 + (number * TIMES + step) * SECOND, "value": 1.0, "buckets": None}
            for step in range(TIMES)
            for series in range(SERIES)
        ]
        for number in range(BODIES)
    ]

    def insert_all() -> None:
        for batch in batches:
            with engine.begin() as connection:
                connection.execute(insert(plain), batch)

    return BODIES * SERIES * TIMES / seconds(insert_all)
