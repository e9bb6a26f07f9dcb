"""kill -9 during an OTLP ingestion: every point the server acknowledged with a 2xx is in the store after a
restart (the acknowledgement follows the commit).

A real `factory serve` process on a free port; a client thread posts a 50,000-point ingestion as 100 OTLP
protobuf requests and records which ones were answered 200; the test kills the server with SIGKILL once
some of them were, starts it again on the same store, and reads the store. Ten rounds, on SQLite and
PostgreSQL. Marked slow: CI runs it, `-m "not slow"` leaves it out locally."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from sqlalchemy import select

from digital_factory.app.factory import Runtime, build_runtime, prepare_store
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate
from digital_factory.core.actor import system_actor
from digital_factory.settings import Settings
from digital_factory.telemetry import models
from tests.processes import factory_server, server_settings
from tests.telemetry.builders import make_service
from tests.telemetry.otlp_builders import SECOND, T0, kv, metrics_request, resource

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # ten server starts; a loaded machine is slow

SECRET_KEY = "durability-test-secret-key"
SERVICE = "flight-control"
ROUNDS = 10
REQUESTS = 100  # per round
SERIES = 50
TIMES = 10  # per series in one request: 500 points a request, 50,000 a round
Sent = tuple[str, int, float]  # (series attribute, time, value)


def _request(round_: int, number: int) -> tuple[bytes, list[Sent]]:
    metric = Metric(name="drone.battery", unit="%")
    sent: list[Sent] = []
    for step in range(TIMES):
        time_ns = T0 + ((round_ * REQUESTS + number) * TIMES + step) * SECOND
        for drone in range(SERIES):
            value = float(number * 1000 + step * 100 + drone)
            point = metric.gauge.data_points.add(time_unix_nano=time_ns, as_double=value)
            point.attributes.append(kv("drone", f"d{drone}"))
            sent.append((f"d{drone}", time_ns, value))
    body: ExportMetricsServiceRequest = metrics_request(metric, origin=resource(SERVICE))
    return body.SerializeToString(), sent


@dataclass
class Ingestion:
    """One round's requests, posted in order by a client thread until one fails (the server is gone)."""

    url: str
    key: str
    round_: int
    acknowledged: list[Sent] = field(default_factory=list)
    answered: int = 0
    refused: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/x-protobuf"}
        with httpx.Client(timeout=30) as http:
            for number in range(REQUESTS):
                body, sent = _request(self.round_, number)
                try:
                    answer = http.post(f"{self.url}/v1/metrics", content=body, headers=headers)
                except httpx.HTTPError:
                    break
                with self.changed:
                    if answer.is_success:
                        self.acknowledged += sent
                    else:
                        self.refused += 1
                    self.answered += 1
                    self.changed.notify_all()

    def wait_for(self, answers: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.answered >= answers, timeout=120), self.answered


def _prepare(settings: Settings) -> str:
    """The service and its ingestion key, made on the store before the server first starts."""
    runtime = build_runtime(settings)
    try:
        prepare_store(runtime)
        make_service(runtime, SERVICE)
        with runtime.store.unit_of_work(system_actor("tests")) as uow:
            return catalog.create_ingestion_key(uow, runtime.digester, SERVICE, IngestionKeyCreate(name="otel")).secret
    finally:
        runtime.executor.stop()
        runtime.store.dispose()


def _stored(runtime: Runtime) -> set[Sent]:
    series, point = models.Series, models.Point
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        rows = uow.session.execute(
            select(series.attributes, point.time_ns, point.value).join(point, point.series_id == series.id)
        )
        return {(attributes["drone"], time_ns, value) for attributes, time_ns, value in rows}


def test_every_acknowledged_point_survives_kill_9_and_restart(tmp_path: Path, database_url: str) -> None:
    settings = server_settings(tmp_path / "home", database_url, SECRET_KEY)
    key = _prepare(settings)
    log = tmp_path / "server.log"
    reader = build_runtime(settings)
    acknowledged: set[Sent] = set()
    try:
        for round_ in range(ROUNDS + 1):
            with factory_server(settings, SECRET_KEY, log) as server:  # a restart on what the last kill left
                missing = acknowledged - _stored(reader)
                assert not missing, f"round {round_}: {len(missing)} acknowledged points lost: {sorted(missing)[:3]}"
                if round_ < ROUNDS:
                    acknowledged |= _ingest_and_kill(server, settings.effective_public_url, key, round_)
    finally:
        reader.executor.stop()
        reader.store.dispose()
    assert len(acknowledged) >= ROUNDS * 5 * SERIES * TIMES


def _ingest_and_kill(server: subprocess.Popen[bytes], url: str, key: str, round_: int) -> set[Sent]:
    ingestion = Ingestion(url, key, round_)
    client = threading.Thread(target=ingestion.run)
    client.start()
    ingestion.wait_for(5 + (round_ * 7) % 20)  # somewhere between the 5th and the 24th answer
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    client.join(60)
    assert not client.is_alive() and ingestion.refused == 0
    assert 5 <= len(ingestion.acknowledged) // (SERIES * TIMES) < REQUESTS, ingestion.answered
    return set(ingestion.acknowledged)
