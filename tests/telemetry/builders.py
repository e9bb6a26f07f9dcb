"""Telemetry test data through the front door: a registered service, points written as ingestion does."""

from __future__ import annotations

from datetime import UTC, datetime

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.telemetry.metricstore import write_batches
from digital_factory.telemetry.points import Batch, Point, Written

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
NANOS = 1_000_000_000


def nanos(moment: datetime) -> int:
    return int(moment.timestamp()) * NANOS


def make_service(runtime: Runtime, key: str = "fleet-api") -> str:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(uow, ServiceCreate(key=key, name=key.title()))
    return key


def write(runtime: Runtime, service: str, points: list[Point], environment: str | None = "prod") -> Written:
    with runtime.store.unit_of_work(system_actor("ingest")) as uow:
        return write_batches(uow, [Batch(service=service, environment=environment, points=tuple(points))])
