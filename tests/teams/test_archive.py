"""Archiving a team: hidden from lists and pickers, refused new members, domains and interactions; what it
owns keeps working. Through the API (SQLite and PostgreSQL), the web and the CLI."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.teams import service as teams
from tests.factories import actor_of, web_login
from tests.teams.helpers import drone_teams

ORIGIN = {"Origin": "http://testserver"}


def test_archive_and_restore_over_the_api(client: TestClient, runtime: Runtime) -> None:
    people = drone_teams(runtime)
    pia, pavel = people["pia"].headers, people["pavel"].headers
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.register_service(uow, ServiceCreate(key="battery-api", name="Battery API", owner_team="power-systems"))

    refused = client.post("/api/v1/teams/power-systems/archive", headers=pavel)  # a member, without teams:write
    assert refused.status_code == 403
    archived = client.post("/api/v1/teams/power-systems/archive", headers=pia)
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    again = client.post("/api/v1/teams/power-systems/archive", headers=pia)
    assert again.json()["archived_at"] == archived.json()["archived_at"]  # archiving twice changes nothing

    listed = [t["key"] for t in client.get("/api/v1/teams", headers=pia).json()["items"]]
    assert "power-systems" not in listed and "flight-software" in listed
    everything = client.get("/api/v1/teams", headers=pia, params={"include_archived": "true"}).json()["items"]
    assert "power-systems" in [t["key"] for t in everything]
    assert "power-systems" not in [t["key"] for t in client.get("/api/v1/topology", headers=pia).json()["teams"]]
    assert client.get("/api/v1/teams/power-systems", headers=pia).json()["archived_at"] is not None

    # what archiving blocks: new members, domains, interactions (either side)
    member = client.post("/api/v1/teams/power-systems/members", headers=pia, json={"username": "vic"})
    assert member.status_code == 409 and member.json()["rule"] == "team-archived"
    domain = client.post(
        "/api/v1/teams/power-systems/domains", headers=pia, json={"name": "Cells", "complexity": "simple"}
    )
    assert domain.status_code == 409
    interaction = client.post(
        "/api/v1/interactions",
        headers=pia,
        json={"team": "flight-software", "with_team": "power-systems", "mode": "collaboration"},
    )
    assert interaction.status_code == 409 and "archived" in interaction.json()["detail"]
    # its service keeps working, and its member still maintains it
    changed = client.patch("/api/v1/services/battery-api", headers=pavel, json={"description": "Cells and packs"})
    assert changed.status_code == 200, changed.text
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        assert [t.key for t in teams.member_teams(uow, "pavel")] == ["power-systems"]

    restored = client.post("/api/v1/teams/power-systems/restore", headers=pia)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    assert client.post("/api/v1/teams/power-systems/members", headers=pia, json={"username": "vic"}).status_code == 201
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        assert [t.key for t in teams.list_teams(uow, PageRequest()).items].count("power-systems") == 1


def test_archive_in_the_web(client: TestClient, runtime: Runtime) -> None:
    people = drone_teams(runtime)
    csrf = web_login(client, people["pia"])
    page = client.get("/teams/power-systems").text
    assert 'action="/teams/power-systems/archive"' in page
    done = client.post("/teams/power-systems/archive", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=True)
    assert done.status_code == 200 and 'data-testid="archived"' in done.text
    assert 'action="/teams/power-systems/restore"' in done.text
    listing = client.get("/teams").text
    assert 'href="/teams/power-systems"' not in listing.split('id="list-heading"')[1]
    assert 'href="/teams/power-systems"' in client.get("/teams", params={"archived": "true"}).text
    # pickers leave it out: the interaction form on another team's page
    assert 'value="power-systems"' not in client.get("/teams/flight-software").text
    client.post("/teams/power-systems/restore", data={"csrf_token": csrf}, headers=ORIGIN)
    assert 'value="power-systems"' in client.get("/teams/flight-software").text
