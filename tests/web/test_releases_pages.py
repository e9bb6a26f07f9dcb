"""The releases overview a page of services at a time: 50 rows, the pager, and the page's flags read at once
(the number of statements does not grow with the rows shown)."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.errors import NotFound
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange, FlagCreate
from tests.factories import actor_of, web_login
from tests.releases.builders import OTHER, SERVICE, flight_control, make_flag
from tests.statements import selects

ROW = re.compile(r'<td><a href="/releases/([a-z0-9-]+)">[^<]+</a> <code>[^<]+</code></td>\s*<td>(\d+)</td>')
LATE = "svc-50"  # a service on the second page, with a flag on in dev


def seed(runtime: Runtime) -> dict[str, object]:
    """55 services by key: engine-control, flight-control, svc-00 … svc-52; flight-control has two flags
    (one on in dev), svc-50 one (on in dev)."""
    people = flight_control(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(53):
            catalog.register_service(uow, ServiceCreate(key=f"svc-{n:02d}", name=f"Service {n:02d}"))
    make_flag(runtime)
    make_flag(runtime, key="night-mode")
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.request_change(uow, SERVICE, "night-mode", "dev", FlagChange(enabled=True))
        releases.create_flag(uow, LATE, FlagCreate(key="quiet-landing"))
        releases.request_change(uow, LATE, "quiet-landing", "dev", FlagChange(enabled=True))
    return dict(people)


def test_the_overview_pages_fifty_services_at_a_time(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])  # type: ignore[arg-type]
    first = client.get("/releases").text
    assert "showing 1–50 of 55 services" in first
    rows = ROW.findall(first)
    assert [key for key, _ in rows] == [OTHER, SERVICE] + [f"svc-{n:02d}" for n in range(48)]
    assert dict(rows)[SERVICE] == "2" and dict(rows)[OTHER] == "0"
    assert 'rel="next" href="/releases?offset=50"' in first and 'rel="prev"' not in first
    assert "dev: 1" in first and 'href="/releases/svc-50"' not in first

    second = client.get("/releases", params={"offset": 50}).text
    assert "showing 51–55 of 55 services" in second
    assert ROW.findall(second) == [("svc-48", "0"), ("svc-49", "0"), (LATE, "1"), ("svc-51", "0"), ("svc-52", "0")]
    assert re.search(rf'href="/releases/{LATE}">.*?dev: 1</span><span class="env-count">staging: 0', second, re.S)
    assert 'rel="prev" href="/releases"' in second and 'rel="next"' not in second
    assert "Release timeline" in second  # the blocks below the table stay on every page
    assert client.get("/releases", params={"offset": -1}).status_code == 422


def test_a_page_of_fifty_services_costs_what_a_page_of_five_does(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])  # type: ignore[arg-type]
    with selects(runtime) as few:
        assert "showing 51–55 of 55" in client.get("/releases", params={"offset": 50}).text
    with selects(runtime) as many:
        assert "showing 1–50 of 55" in client.get("/releases").text
    assert len(many) == len(few)


def test_flags_of_services_reads_each_services_live_flags(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pm")) as uow:
        releases.create_flag(uow, SERVICE, FlagCreate(key="retired"))
        releases.archive_flag(uow, SERVICE, "retired")
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        found = releases.flags_of_services(uow, [SERVICE, LATE, OTHER])
        assert releases.flags_of_services(uow, []) == {}
        with pytest.raises(NotFound):
            releases.flags_of_services(uow, [SERVICE, "no-such-service"])
    assert {key: [f.key for f in flags] for key, flags in found.items()} == {
        SERVICE: ["heavy-lift-mode", "night-mode"],
        LATE: ["quiet-landing"],
        OTHER: [],
    }
    night = found[SERVICE][1]
    assert [(s.environment, s.config.enabled) for s in night.environments] == [
        ("dev", True),
        ("staging", False),
        ("prod", False),
    ]
    assert found[LATE][0].service == LATE
