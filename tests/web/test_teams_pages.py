"""The teams and catalog pages through the web UI (forms with CSRF), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import date

import yaml
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import DependencyCreate, ServiceCreate, ValueStreamCreate
from digital_factory.teams import service as teams
from digital_factory.teams import surveys
from digital_factory.teams.schemas import (
    Complexity,
    DomainCreate,
    InteractionCreate,
    InteractionMode,
    MemberAdd,
    SurveyAnswer,
    TeamCreate,
)
from tests.factories import MadeUser, actor_of, web_login
from tests.statements import selects_for
from tests.teams.helpers import drone_teams

ORIGIN = {"Origin": "http://testserver"}


def seed(runtime: Runtime) -> dict[str, MadeUser]:
    people = drone_teams(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_domain(uow, "flight-software", DomainCreate(name="Flight control", complexity=Complexity.COMPLEX))
        teams.add_domain(uow, "flight-software", DomainCreate(name="Mission planning", complexity=Complexity.SIMPLE))
        teams.create_interaction(
            uow,
            InteractionCreate(
                team="flight-software", with_team="platform", mode=InteractionMode.X_AS_A_SERVICE, purpose="CI/CD"
            ),
        )
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy-lift drones"))
        catalog.register_service(
            uow,
            ServiceCreate(
                key="flight-control", name="Flight control", owner_team="flight-software", value_stream="heavy-lift"
            ),
        )
        catalog.register_service(uow, ServiceCreate(key="battery-api", name="Battery API", owner_team="power-systems"))
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="battery-api"))
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        surveys.submit_survey(
            uow,
            "flight-software",
            SurveyAnswer(
                answers={"effective": 2, "domain-complexity": 5, "breadth": 4, "toil": 5, "tooling": 4, "learning": 2},
                answered_on=date(2026, 1, 15),
            ),
        )
    return people


def embedded_json(html: str, element_id: str) -> object:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} data on the page"
    return json.loads(match.group(1))


def test_teams_page_lists_types_and_the_topology(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    page = client.get("/teams")
    assert page.status_code == 200
    html = page.text
    assert 'class="badge t-platform"' in html and 'class="badge t-enabling"' in html
    graph = embedded_json(html, "topology-data")
    assert isinstance(graph, dict)
    assert [(i["team"], i["mode"], i["with_team"], i["label"]) for i in graph["interactions"]] == [
        ("flight-software", "x-as-a-service", "platform", "X-as-a-Service")
    ]
    flight = next(t for t in graph["teams"] if t["key"] == "flight-software")
    assert flight["warnings"] == 1 and flight["team_type"] == "stream-aligned"
    assert 'href="/catalog"' in html
    assert "New team" not in html  # a viewer gets no forms
    assert 'href="/teams"' in client.get("/").text  # the navigation leads here


def test_team_page_shows_everything_about_the_team(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["fiona"])
    html = client.get("/teams/flight-software").text
    assert "Flight Software mission" in html
    assert 'data-rule="complex-domain-not-alone"' in html and "Skelton &amp; Pais" in html
    assert 'class="badge c-complex">complex<' in html
    assert ">consumer<" in html and ">Platform<" in html
    chart = embedded_json(html, "load-data")
    assert chart == {
        "periods": ["2026-01"],
        "index": [83.3],
        "intrinsic": [87.5],
        "extraneous": [87.5],
        "germane": [75.0],
    }
    assert 'href="/catalog/services/flight-control"' in html
    assert 'href="/teams/flight-software/team-api.yaml"' in html
    assert 'name="q-effective"' in html  # a member may answer the survey


def test_survey_form_adds_this_months_score(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    csrf = web_login(client, people["fiona"])
    answers = {f"q-{q}": "4" for q in ("effective", "domain-complexity", "breadth", "toil", "tooling", "learning")}
    response = client.post(
        "/teams/flight-software/survey", data={"csrf_token": csrf, **answers}, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].endswith("#survey")
    html = client.get(response.headers["location"]).text
    chart = embedded_json(html, "load-data")
    assert isinstance(chart, dict) and chart["index"][-1] == 58.3 and len(chart["periods"]) == 2
    missing = client.post(
        "/teams/flight-software/survey", data={"csrf_token": csrf, "q-effective": "3"}, headers=ORIGIN
    )
    assert missing.status_code == 422 and "please answer every question" in missing.text
    forged = client.post("/teams/flight-software/survey", data=answers, headers=ORIGIN)
    assert forged.status_code == 403


def test_forms_for_domains_members_and_interactions(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    csrf = web_login(client, people["pia"])

    def post(path: str, **data: str) -> str:
        response = client.post(path, data={"csrf_token": csrf, **data}, headers=ORIGIN)
        assert response.status_code in (200, 409, 422), response.text  # a refused form: its status, e.g. 409 on a clash
        return response.text

    html = post("/teams/power-systems/domains", name="Battery chemistry", complexity="complicated")
    assert "Battery chemistry is now owned by the team." in html
    refused = post("/teams/power-systems/domains", name="Flight control", complexity="simple")
    assert "owned by flight-software" in refused
    html = post("/teams/power-systems/members", username="fiona", team_role="designer")
    assert "fiona joined the team." in html
    html = post(
        "/teams/power-systems/interactions",
        with_team="platform",
        mode="collaboration",
        purpose="battery telemetry",
        expected_duration="6",
        expected_duration_unit="weeks",
    )
    assert "Interaction recorded." in html and "battery telemetry" in html
    self_interaction = post("/teams/platform/interactions", with_team="platform", mode="facilitating")
    assert "does not interact with itself" in self_interaction
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        (collaboration,) = [i for i in teams.list_interactions(uow, team="power-systems")]
    html = post(f"/teams/power-systems/interactions/{collaboration.id}/end")
    assert "Interaction ended." in html


def test_viewers_cannot_change_teams(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    csrf = web_login(client, people["vic"])
    response = client.post(
        "/teams/flight-software/domains", data={"csrf_token": csrf, "name": "X", "complexity": "simple"}, headers=ORIGIN
    )
    assert response.status_code == 403
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        assert [d.name for d in teams.list_domains(uow, team="flight-software")] == [
            "Flight control",
            "Mission planning",
        ]


def test_team_api_download_and_web_import(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    csrf = web_login(client, people["pia"])
    download = client.get("/teams/flight-software/team-api.yaml")
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/yaml")
    assert 'filename="flight-software.teamapi.yaml"' in download.headers["content-disposition"]
    document = yaml.safe_load(download.text)
    assert document["info"]["key"] == "flight-software" and document["services"][0]["key"] == "flight-control"

    document["info"] = {"name": "Engines", "key": "engines", "type": "stream-aligned"}
    document["domains"] = [{"name": "Thrust", "complexity": "complicated"}]
    document["members"] = [{"username": "fiona"}, {"username": "ghost"}]
    refused = client.post(
        "/teams/import", data={"csrf_token": csrf, "document": yaml.safe_dump(document)}, headers=ORIGIN
    )
    assert refused.status_code == 422
    assert "<code>members[1].username</code>: no such user" in refused.text
    assert client.get("/teams/engines").status_code == 404

    document["members"] = [{"username": "fiona", "role": "tech lead"}]
    imported = client.post(
        "/teams/import",
        data={"csrf_token": csrf},
        files={"file": ("engines.yaml", yaml.safe_dump(document).encode(), "application/yaml")},
        headers=ORIGIN,
    )
    assert imported.status_code == 200 and "Created from the Team API document." in imported.text
    assert "Thrust" in imported.text and "tech lead" in imported.text


def test_catalog_and_service_pages(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    csrf = web_login(client, people["pavel"])
    html = client.get("/catalog").text
    assert html.index("Heavy-lift drones") < html.index("No value stream")
    assert "approval: team, admin" in html and 'href="/catalog/services/battery-api"' in html
    filtered = client.get("/catalog", params={"owner_team": "power-systems"}).text
    assert "battery-api" in filtered and "flight-control</span>" not in filtered

    service = client.get("/catalog/services/battery-api").text
    assert "Used by" in service and 'href="/catalog/services/flight-control"' in service
    assert "continuous delivery: a team or admin other than who triggered it approves" in service
    # pavel maintains battery-api (power-systems); the loop it closes is reported, not refused
    loop = client.post(
        "/catalog/services/battery-api/dependencies",
        data={"csrf_token": csrf, "on": "flight-control", "description": "flight state"},
        headers=ORIGIN,
    )
    assert loop.status_code == 200
    assert "It closes a dependency loop: battery-api → flight-control → battery-api." in loop.text
    assert 'class="badge warn">dependency loop</span>' in client.get("/catalog").text
    not_his = client.post(
        "/catalog/services/flight-control/dependencies", data={"csrf_token": csrf, "on": "battery-api"}, headers=ORIGIN
    )
    assert not_his.status_code == 403
    assert client.get("/catalog/services/warp-drive").status_code == 404


TEAM_ROW = re.compile(r'<tr>\s*<td><a href="/teams/([a-z0-9-]+)">.*?</tr>', re.S)  # a row of the team table


def crews(runtime: Runtime, first: int, count: int, *, archived: bool = False) -> None:
    """Teams crew-NN ("Crew NN"), each with a member (pia) and a domain, archived when asked."""
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(first, first + count):
            key = f"crew-{n:02d}"
            teams.create_team(uow, TeamCreate(key=key, name=f"Crew {n:02d}"))
            teams.add_member(uow, key, MemberAdd(username="pia", team_role="engineer"))
            teams.add_domain(uow, key, DomainCreate(name=f"Cargo {n:02d}", complexity=Complexity.SIMPLE))
            if archived:
                teams.archive_team(uow, key)


def rows(html: str) -> dict[str, list[str]]:
    """The team table's rows: each team's number cells (members, domains) by key."""
    table = html[html.index('id="list-heading"') :]  # not the interactions above it
    return {m.group(1): re.findall(r"<td>(\d+)</td>", m.group(0)) for m in TEAM_ROW.finditer(table)}


def test_the_team_table_pages_fifty_teams_at_a_time(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)  # four teams (Delivery Coaching, Flight Software, Platform, Power Systems)
    crews(runtime, 0, 55)
    crews(runtime, 55, 3, archived=True)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_domain(uow, "crew-03", DomainCreate(name="Winches", complexity=Complexity.COMPLICATED))
    web_login(client, people["vic"])

    first = client.get("/teams").text
    assert "showing 1–50 of 59 teams" in first
    assert list(rows(first)) == [f"crew-{n:02d}" for n in range(50)]
    assert rows(first)["crew-03"] == ["1", "2"]  # a member, two domains
    assert 'rel="next" href="/teams?offset=50"' in first and 'rel="prev"' not in first
    graph = embedded_json(first, "topology-data")
    assert isinstance(graph, dict) and len(graph["teams"]) == 59  # the picture stays whole

    second = client.get("/teams", params={"offset": 50}).text
    assert "showing 51–59 of 59 teams" in second
    assert list(rows(second)) == [f"crew-{n:02d}" for n in range(50, 55)] + [
        "coaching",
        "flight-software",
        "platform",
        "power-systems",
    ]
    assert rows(second)["flight-software"] == ["1", "2"]
    assert "83.3" in second  # flight-software's survey score, read for the page's teams
    assert 'rel="prev" href="/teams"' in second and 'rel="next"' not in second

    archived = client.get("/teams", params={"archived": "true"}).text
    assert "showing 1–50 of 62 teams" in archived
    assert 'rel="next" href="/teams?archived=true&amp;offset=50"' in archived
    rest = client.get("/teams", params={"archived": "true", "offset": 50}).text
    assert list(rows(rest))[:8] == [f"crew-{n:02d}" for n in range(50, 58)]
    assert rest.count('<span class="badge">archived</span>') == 3
    assert 'rel="prev" href="/teams?archived=true"' in rest and "Hide archived teams" in rest
    assert client.get("/teams", params={"offset": -1}).status_code == 422


def test_the_teams_page_reads_the_same_few_times_however_many_teams(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)
    web_login(client, people["vic"])
    crews(runtime, 0, 5)
    few = selects_for(runtime, client, "/teams")
    assert few > 0
    crews(runtime, 5, 60)
    assert selects_for(runtime, client, "/teams") == few
    assert selects_for(runtime, client, "/teams?offset=50") == few


def test_domain_counts_and_latest_scores_for_some_teams(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        counts = teams.domain_counts(uow, ["flight-software", "platform", "warp-drive"])
        scores = teams.latest_survey_scores(uow, ["platform", "flight-software"])
        none = teams.latest_survey_scores(uow, [])
    assert counts == {"flight-software": 2, "platform": 0}
    assert list(scores) == ["flight-software"] and scores["flight-software"].period == "2026-01"
    assert none == {}


SERVICE_ROW = re.compile(r'<tr><td><a href="/catalog/services/([a-z0-9-]+)">')


def owned(html: str) -> list[str]:
    """The keys in the team page's "Services owned" table."""
    section = html[html.index('id="services-heading"') :]
    return SERVICE_ROW.findall(section[: section.index("</section>")])


def test_the_team_page_pages_its_services_fifty_at_a_time(client: TestClient, runtime: Runtime) -> None:
    people = seed(runtime)  # flight-software owns flight-control
    web_login(client, people["vic"])
    alone = selects_for(runtime, client, "/teams/flight-software")
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for n in range(54):
            made = ServiceCreate(key=f"hull-{n:02d}", name=f"Hull {n:02d}", owner_team="flight-software")
            catalog.register_service(uow, made)
    # the statements read do not grow with the services on the page (one service, then fifty)
    assert selects_for(runtime, client, "/teams/flight-software") == alone
    first = client.get("/teams/flight-software").text
    assert "showing 1–50 of 55 services" in first
    assert owned(first) == ["flight-control", *(f"hull-{n:02d}" for n in range(49))]  # by key
    assert 'href="/teams/flight-software?offset=50#services"' in first and 'rel="prev"' not in first
    rest = client.get("/teams/flight-software", params={"offset": 50}).text
    assert owned(rest) == [f"hull-{n:02d}" for n in range(49, 54)]
    assert "showing 51–55 of 55 services" in rest and 'href="/teams/flight-software#services"' in rest
    past = client.get("/teams/flight-software", params={"offset": 100}).text
    assert owned(past) == [] and "this team owns 55" in past
    small = client.get("/teams/power-systems").text
    assert owned(small) == ["battery-api"] and "showing 1–1" not in small  # one page: no pager
