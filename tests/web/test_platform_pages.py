"""The platform's list pages page on the server: the template fleet and the scorecards, 50 services at a time,
their filters kept in the pager's links, the page's rows read in a fixed number of statements."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, prepare_platform
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.platform import service as platform
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.factories import actor_of, make_user, web_login
from tests.statements import statements

FLEET_ROW = re.compile(r'<tr data-service="([a-z0-9-]+)">')
CARD = re.compile(r'<section class="card" data-service="([a-z0-9-]+)">')
UPGRADE_BOX = re.compile(r'name="service" value="([a-z0-9-]+)"')


def seed_fleet(runtime: Runtime, engines: int = 55) -> str:
    """`engines` services made from python-service (engine-00 …, owned by Engines): every fifth on its newest
    version, the others behind; and three probes made from a template not registered here. The newest version."""
    prepare_platform(runtime)
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        newest = platform.get_template(uow, "python-service").latest_version
        assert newest is not None
        teams.create_team(uow, TeamCreate(key="engines", name="Engines"))
        for n in range(engines):
            key = f"engine-{n:02d}"
            catalog.register_service(uow, ServiceCreate(key=key, name=f"Engine {n:02d}", owner_team="engines"))
            catalog.set_service_template(uow, key, "python-service", newest if n % 5 == 0 else "v0.0.1")
        for n in range(3):
            catalog.register_service(uow, ServiceCreate(key=f"probe-{n}", name=f"Probe {n}"))
            catalog.set_service_template(uow, f"probe-{n}", "kotlin-service", "v3.0.0")
    return newest


def test_the_fleet_pages_fifty_services_at_a_time(client: TestClient, runtime: Runtime) -> None:
    newest = seed_fleet(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    first = client.get("/platform/fleet").text
    assert "showing 1–50 of 58 services" in first
    assert "44 of 58 services behind their template" in first
    assert FLEET_ROW.findall(first) == [f"engine-{n:02d}" for n in range(50)]
    assert 'rel="next" href="/platform/fleet?offset=50"' in first and 'rel="prev"' not in first
    assert f'<td>{newest} <span class="badge ok">current</span>' in first
    assert "<td>engine-01</td><td>engines</td><td>python-service</td>" in first
    assert UPGRADE_BOX.findall(first) == []  # a viewer is offered no upgrade

    second = client.get("/platform/fleet", params={"offset": 50}).text
    assert "showing 51–58 of 58 services" in second
    assert FLEET_ROW.findall(second) == [f"engine-{n:02d}" for n in range(50, 55)] + ["probe-0", "probe-1", "probe-2"]
    assert "<td>probe-0</td><td>—</td><td>kotlin-service</td>" in second
    assert 'rel="prev" href="/platform/fleet"' in second and 'rel="next"' not in second


def test_fleet_filters_stay_in_the_pager_and_upgrades_are_offered_for_the_rows_shown(
    client: TestClient, runtime: Runtime
) -> None:
    seed_fleet(runtime, engines=65)  # 52 behind
    web_login(client, make_user(runtime, "pat", Role.PLATFORM))
    behind = client.get("/platform/fleet", params={"behind": "1"}).text
    behind_keys = [f"engine-{n:02d}" for n in range(65) if n % 5]
    assert "showing 1–50 of 52 services" in behind and FLEET_ROW.findall(behind) == behind_keys[:50]
    assert 'rel="next" href="/platform/fleet?behind=1&amp;offset=50"' in behind
    assert UPGRADE_BOX.findall(behind) == behind_keys[:50]
    assert "none selected: every service behind, on every page, of every template" in behind
    rest = client.get("/platform/fleet", params={"behind": "1", "offset": 50}).text
    assert FLEET_ROW.findall(rest) == behind_keys[50:] and 'rel="prev" href="/platform/fleet?behind=1"' in rest

    kotlin = client.get("/platform/fleet", params={"template": "kotlin-service"}).text
    assert FLEET_ROW.findall(kotlin) == ["probe-0", "probe-1", "probe-2"] and "showing 1–3 of 3 services" in kotlin
    assert '<option value="kotlin-service" selected>' in kotlin
    none = client.get("/platform/fleet", params={"template": "kotlin-service", "behind": "1"}).text
    assert "no services match" in none and "No service matches." in none
    assert client.get("/platform/fleet", params={"offset": -1}).status_code == 422


def test_a_fleet_page_reads_a_fixed_number_of_statements(client: TestClient, runtime: Runtime) -> None:
    seed_fleet(runtime, engines=10)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    client.get("/platform/fleet")  # the session and templates warm
    with statements(runtime) as few:
        assert client.get("/platform/fleet").status_code == 200
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(10, 60):
            catalog.register_service(uow, ServiceCreate(key=f"engine-{n:02d}", name=f"E{n}", owner_team="engines"))
            catalog.set_service_template(uow, f"engine-{n:02d}", "python-service", "v0.0.1")
    with statements(runtime) as many:
        page = client.get("/platform/fleet").text
    assert "showing 1–50 of 63 services" in page
    assert len(many) == len(few)


def test_the_scorecards_page_fifty_services_at_a_time_and_sum_them_all(client: TestClient, runtime: Runtime) -> None:
    seed_fleet(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    first = client.get("/platform/scorecards").text
    assert "showing 1–50 of 58 services" in first
    assert CARD.findall(first) == [f"engine-{n:02d}" for n in range(50)]
    assert 'rel="next" href="/platform/scorecards?offset=50"' in first and 'rel="prev"' not in first
    # the sums are of every service, not of the page's
    assert '<a href="/platform/scorecards?team=engines">engines</a></td>\n      <td>55</td>' in first
    assert "<strong>Platform-wide</strong></td>\n      <td>58</td>" in first
    second = client.get("/platform/scorecards", params={"offset": 50}).text
    assert CARD.findall(second) == [f"engine-{n:02d}" for n in range(50, 55)] + ["probe-0", "probe-1", "probe-2"]
    assert "showing 51–58 of 58 services" in second and 'rel="prev" href="/platform/scorecards"' in second

    engines = client.get("/platform/scorecards", params={"team": "engines"}).text
    assert "showing 1–50 of 55 services" in engines
    assert 'rel="next" href="/platform/scorecards?team=engines&amp;offset=50"' in engines
    rest = client.get("/platform/scorecards", params={"team": "engines", "offset": 50}).text
    assert CARD.findall(rest) == [f"engine-{n:02d}" for n in range(50, 55)]
    assert 'rel="prev" href="/platform/scorecards?team=engines"' in rest
    assert client.get("/platform/scorecards", params={"offset": -1}).status_code == 422


def test_the_scorecards_read_a_fixed_number_of_statements(client: TestClient, runtime: Runtime) -> None:
    seed_fleet(runtime, engines=10)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    client.get("/platform/scorecards")  # the session and templates warm
    with statements(runtime) as few:
        assert client.get("/platform/scorecards").status_code == 200
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(10, 60):
            catalog.register_service(uow, ServiceCreate(key=f"engine-{n:02d}", name=f"E{n}", owner_team="engines"))
    with statements(runtime) as many:
        page = client.get("/platform/scorecards").text
    assert "showing 1–50 of 63 services" in page
    assert len(many) == len(few)
