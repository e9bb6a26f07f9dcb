"""Fixtures of the OTLP tests that send through real exporters to a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import IngestionKeyCreate
from digital_factory.core.actor import system_actor
from tests.browser import LiveServer
from tests.factories import make_user
from tests.telemetry.builders import make_service

SERVICE = "fleet-api"


@pytest.fixture
def ingestion_key(live_server: LiveServer) -> str:
    make_service(live_server.runtime, SERVICE)
    with live_server.runtime.store.unit_of_work(system_actor("tests")) as uow:
        made = catalog.create_ingestion_key(uow, live_server.runtime.digester, SERVICE, IngestionKeyCreate())
    return made.secret


@pytest.fixture
def query(live_server: LiveServer) -> Iterator[Any]:
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)
    with httpx.Client(base_url=live_server.url, headers=viewer.headers, timeout=10) as client:

        def value(text: str) -> Any:
            answer = client.get("/api/v1/telemetry/query", params={"q": text, "service": SERVICE})
            assert answer.status_code == 200, answer.text
            return answer.json()["value"]

        yield value
