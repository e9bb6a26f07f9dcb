"""The catalog page a page at a time: server paging, filters kept in the pager's links, and only the page's
services built (their dependencies both ways; the whole catalog's loops and warnings)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import CatalogFilter, DependencyCreate, ServiceCreate, ValueStreamCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate, TeamType
from digital_factory.web.paging import pager
from tests.factories import actor_of, make_user, web_login

ORIGIN = {"Origin": "http://testserver"}
ROW = re.compile(r'<td><a href="/catalog/services/([a-z0-9-]+)">[^<]+</a><br>')  # a row's first cell


def seed(runtime: Runtime) -> None:
    """70 services: 55 in Heavy lift (engine-00 … engine-54), 15 in no stream (probe-00 … probe-14), each
    engine depending on the next; the last engine closes a loop back to the first."""
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines"))
        teams.create_team(uow, TeamCreate(key="probes", name="Probes", team_type=TeamType.COMPLICATED_SUBSYSTEM))
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy lift"))
        for n in range(55):
            catalog.register_service(
                uow,
                ServiceCreate(
                    key=f"engine-{n:02d}", name=f"Engine {n:02d}", owner_team="engines", value_stream="heavy-lift"
                ),
            )
        for n in range(15):
            catalog.register_service(
                uow, ServiceCreate(key=f"probe-{n:02d}", name=f"Probe {n:02d}", owner_team="probes")
            )
        for n in range(55):
            catalog.add_dependency(uow, f"engine-{n:02d}", DependencyCreate(on=f"engine-{(n + 1) % 55:02d}"))


def test_the_catalog_pages_fifty_services_at_a_time(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    first = client.get("/catalog").text
    assert "showing 1–50 of 70 services" in first and "70 services by value stream" in first
    assert ROW.findall(first) == [f"engine-{n:02d}" for n in range(50)]
    assert 'rel="next" href="/catalog?offset=50"' in first and 'rel="prev"' not in first
    # the page's services show their dependencies both ways, the whole catalog's loop is named
    assert '<a href="/catalog/services/engine-00">engine-00</a></td>' in first  # engine-54 depends on it
    assert 'class="badge warn">dependency loop</span>' in first

    second = client.get("/catalog", params={"offset": 50}).text
    assert "showing 51–70 of 70 services" in second
    assert ROW.findall(second) == [f"engine-{n:02d}" for n in range(50, 55)] + [f"probe-{n:02d}" for n in range(15)]
    assert second.index("Heavy lift") < second.index("No value stream")
    assert 'rel="prev" href="/catalog"' in second and 'rel="next"' not in second


def test_filters_stay_in_the_pager_and_narrow_on_the_server(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    stream = client.get("/catalog", params={"value_stream": "heavy-lift"}).text
    assert "showing 1–50 of 55 services" in stream
    assert 'rel="next" href="/catalog?value_stream=heavy-lift&amp;offset=50"' in stream
    assert "probe-" not in "".join(ROW.findall(stream))

    owned = client.get("/catalog", params={"owner_team": "probes", "q": "probe-1"}).text
    assert ROW.findall(owned) == [f"probe-{n:02d}" for n in range(10, 15)]
    assert "showing 1–5 of 5 services" in owned and 'value="probe-1"' in owned

    none = client.get("/catalog", params={"q": "warp drive"}).text
    assert "no services match" in none and "No service matches" in none
    assert client.get("/catalog", params={"value_stream": "mapping"}).status_code == 404
    assert client.get("/catalog", params={"offset": -1}).status_code == 422


def test_a_catalog_page_builds_only_its_services(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        page = catalog.catalog_page(uow, CatalogFilter(q="ENGINE-5"), PageRequest(limit=3, offset=1))
    entries = [e for g in page.groups for e in g.entries]
    assert [e.service.key for e in entries] == ["engine-51", "engine-52", "engine-53"]
    assert (page.total, page.shown, page.has_next, page.services, page.dependencies) == (5, 3, True, 70, 55)
    assert [(e.depends_on, e.dependents) for e in entries] == [
        (["engine-52"], ["engine-50"]),
        (["engine-53"], ["engine-51"]),
        (["engine-54"], ["engine-52"]),
    ]
    assert [g.value_stream.key if g.value_stream else None for g in page.groups] == ["heavy-lift"]
    assert [len(c.services) for c in page.cycles] == [55] and page.warnings == []


def test_the_pager_keeps_filters_and_leaves_empty_ones_out() -> None:
    middle = pager("/catalog", {"q": "a b", "owner_team": None}, offset=50, limit=50, shown=50, total=120)
    assert (middle.first, middle.last, middle.total) == (51, 100, 120)
    assert (middle.previous, middle.next) == ("/catalog?q=a+b", "/catalog?q=a+b&offset=100")
    alone = pager("/catalog", {}, offset=0, limit=50, shown=0, total=0)
    assert (alone.first, alone.last, alone.pages) == (0, 0, False)


OPTION = re.compile(r'<option value="([a-z0-9-]+)">')


def test_the_dependency_picker_offers_twenty_matches_and_checks_any_key(client: TestClient, runtime: Runtime) -> None:
    seed(runtime)  # engine-00 depends on engine-01
    csrf = web_login(client, make_user(runtime, "pat", Role.PLATFORM))
    page = client.get("/catalog/services/engine-00").text
    picker = page[page.index('<datalist id="dependency-candidates">') :]
    picker = picker[: picker.index("</datalist>")]
    # the first twenty by key: not itself, not what it depends on already
    assert OPTION.findall(picker) == [f"engine-{n:02d}" for n in range(2, 22)]
    assert 'hx-get="/catalog/services/engine-00/dependency-candidates"' in page

    typed = client.get("/catalog/services/engine-00/dependency-candidates", params={"on": "probe 1"})
    assert typed.status_code == 200 and "<datalist" not in typed.text
    assert OPTION.findall(typed.text) == [f"probe-{n:02d}" for n in range(10, 15)]  # by name, "Probe 1x"
    assert '<option value="probe-12">Probe 12</option>' in typed.text
    engines = client.get("/catalog/services/engine-00/dependency-candidates", params={"on": "ENGINE-0"}).text
    assert OPTION.findall(engines) == [f"engine-{n:02d}" for n in range(2, 10)]
    many = OPTION.findall(client.get("/catalog/services/engine-00/dependency-candidates", params={"on": "e"}).text)
    assert len(many) == 20
    missing = client.get("/catalog/services/warp-drive/dependency-candidates", params={"on": "e"})
    assert missing.status_code == 404

    # any key may be typed, offered or not; an unknown one is refused with the reason
    unknown = client.post(
        "/catalog/services/engine-00/dependencies", data={"csrf_token": csrf, "on": "warp-drive"}, headers=ORIGIN
    )
    assert unknown.status_code == 404 and "no service with the key &#39;warp-drive&#39;" in unknown.text
    added = client.post(
        "/catalog/services/engine-00/dependencies",
        data={"csrf_token": csrf, "on": "probe-14"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert added.status_code == 303
    after = client.get("/catalog/services/engine-00/dependency-candidates", params={"on": "probe-1"}).text
    assert OPTION.findall(after) == [f"probe-{n:02d}" for n in range(10, 14)]


def test_dependency_candidates_are_read_on_the_server(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        first = catalog.dependency_candidates(uow, "engine-54", limit=3)
        named = catalog.dependency_candidates(uow, "probe-00", "Probe 0", limit=20)
    assert [r.key for r in first] == ["engine-01", "engine-02", "engine-03"]  # engine-54 depends on engine-00
    assert [(r.key, r.owner_team, r.value_stream) for r in named[:2]] == [
        ("probe-01", "probes", None),
        ("probe-02", "probes", None),
    ]
    assert len(named) == 9
