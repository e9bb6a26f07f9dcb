"""The one typeahead behind the pickers: /lookup/{kind} answers at most twenty matches by key or name, each
through its domain's read and permission."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate, TeamType
from tests.factories import actor_of, make_user, web_login
from tests.portfolio.builders import HYPOTHESIS, people

OPTION = re.compile(r'<option value="([A-Za-z0-9-]+)">([^<]*)</option>')


def seed_teams(runtime: Runtime, count: int = 25) -> None:
    """`count` stream-aligned teams (crew-00 …, named "Crew 00" …) and two platform teams."""
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(count):
            teams.create_team(uow, TeamCreate(key=f"crew-{n:02d}", name=f"Crew {n:02d}"))
        for key in ("rails", "roads"):
            teams.create_team(uow, TeamCreate(key=key, name=key.title(), team_type=TeamType.PLATFORM))


def keys(text: str) -> list[str]:
    return [key for key, _ in OPTION.findall(text)]


def test_teams_match_by_key_or_name_twenty_at_most(client: TestClient, runtime: Runtime) -> None:
    seed_teams(runtime)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    everything = client.get("/lookup/teams")
    assert everything.status_code == 200 and "<datalist" not in everything.text
    assert keys(everything.text) == [f"crew-{n:02d}" for n in range(20)]  # by name, the first twenty
    assert keys(client.get("/lookup/teams", params={"q": "crew 1"}).text) == [f"crew-{n}" for n in range(10, 20)]
    assert keys(client.get("/lookup/teams", params={"q": "CREW-2"}).text) == [f"crew-{n}" for n in range(20, 25)]
    # htmx sends the input under the form's field name
    assert keys(client.get("/lookup/teams", params={"field": "team", "team": "road"}).text) == ["roads"]
    platform = client.get("/lookup/teams", params={"team_type": "platform"}).text
    assert OPTION.findall(platform) == [("rails", "Rails"), ("roads", "Roads")]
    assert keys(client.get("/lookup/teams", params={"q": "nobody"}).text) == []
    assert client.get("/lookup/robots").status_code == 404


def test_services_match_by_key_or_name(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(30):
            catalog.register_service(uow, ServiceCreate(key=f"svc-{n:02d}", name=f"Service {n:02d}"))
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert keys(client.get("/lookup/services").text) == [f"svc-{n:02d}" for n in range(20)]
    assert keys(client.get("/lookup/services", params={"q": "service 2"}).text) == [f"svc-{n}" for n in range(20, 30)]
    assert '<option value="svc-07">Service 07</option>' in client.get("/lookup/services", params={"q": "07"}).text


def test_epics_match_by_key_or_title(client: TestClient, runtime: Runtime) -> None:
    board, _ = people(runtime)
    with runtime.store.unit_of_work(board) as uow:
        made = [portfolio.create_epic(uow, EpicCreate(title=f"Idea {n}", hypothesis=HYPOTHESIS)) for n in range(25)]
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert len(keys(client.get("/lookup/epics").text)) == 20
    assert OPTION.findall(client.get("/lookup/epics", params={"q": "idea 13"}).text) == [(made[13].key, "Idea 13")]
    assert keys(client.get("/lookup/epics", params={"q": made[4].key}).text) == [made[4].key]


def test_users_only_for_those_who_may_pick_people(client: TestClient, runtime: Runtime) -> None:
    for n in range(25):
        make_user(runtime, f"user-{n:02d}")
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert client.get("/lookup/users").status_code == 403
    assert client.get("/lookup/users", params={"q": "user"}).status_code == 403
    web_login(client, make_user(runtime, "pam", Role.PRODUCT))  # names epics' owners
    found = keys(client.get("/lookup/users", params={"q": "user-"}).text)
    assert found == [f"user-{n:02d}" for n in range(20)]
    assert keys(client.get("/lookup/users", params={"q": "USER-2"}).text) == [f"user-{n}" for n in range(20, 25)]
    web_login(client, make_user(runtime, "ada", Role.ADMIN))
    assert keys(client.get("/lookup/users", params={"q": "ada"}).text) == ["ada"]
