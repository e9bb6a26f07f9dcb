"""The portfolio and product pages render real data, take their forms, and explain refusals."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicState, FeatureCreate, KanbanConfigUpdate, StoryCreate, ThemeCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from digital_factory.web.rendering import AREA_BY_SLUG
from tests.factories import actor_of, make_user, web_login
from tests.portfolio.builders import ready_epic
from tests.statements import selects_for

ORIGIN = {"Origin": "http://testserver"}


def _signed_in(client: TestClient, runtime: Runtime, username: str, role: Role) -> str:
    return web_login(client, make_user(runtime, username, role))


def test_areas_link_to_their_pages() -> None:
    assert AREA_BY_SLUG["portfolio"].url == "/portfolio"
    assert AREA_BY_SLUG["product"].url == "/product"


def test_every_page_renders_with_data(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    epic = ready_epic(runtime, board)
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))
    make_user(runtime, "paul", Role.PRODUCT)
    with runtime.store.unit_of_work(actor_of(runtime, "paul")) as uow:
        feature = portfolio.create_feature(
            uow, FeatureCreate(epic=epic.key, title="Bigger batteries", team="power-systems")
        )
        portfolio.create_story(uow, StoryCreate(feature=feature.key, title="Cell <chemistry>"))
    pages = {
        "/portfolio": ["Heavy-lift drones", "Ready", "data-kanban"],
        "/portfolio/backlog": ["Heavy-lift drones", "5.12", "Save scores"],
        "/portfolio/epics": ["EPIC-1"],
        "/portfolio/epics?state=ready": ["EPIC-1"],
        "/portfolio/epics/EPIC-1": ["logistics companies", "Heavy-lift units sold", "Bigger batteries", "Timeline"],
        "/portfolio/epics/EPIC-1/edit": ['value="Heavy-lift drones"', "indicator_1_name"],
        "/portfolio/epics/new": ["Create epic"],
        "/portfolio/themes": ["New strategic theme"],
        "/portfolio/settings": ["reviewing-needs-hypothesis", 'name="wip_analyzing"'],
        "/portfolio/import": ["Dry run"],
        "/product": ["Heavy-lift drones", "Power Systems"],
        "/product/epics/EPIC-1": ["Bigger batteries", "power-systems"],
        f"/product/features/{feature.key}": ["Cell &lt;chemistry&gt;", "Flow history"],
        "/product/teams/power-systems": ["Cell &lt;chemistry&gt;", "data-team-board"],
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        for text in expected:
            assert text in response.text, (path, text)
    assert client.get("/portfolio/epics/EPIC-404").status_code == 404
    assert csrf


def test_move_endpoint_answers_the_board_in_json(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "bea", Role.BOARD)
    epic = ready_epic(runtime, actor_of(runtime, "bea"))
    headers = {**ORIGIN, "X-CSRF-Token": csrf, "Accept": "application/json"}
    refused = client.post(f"/portfolio/epics/{epic.key}/move", data={"to": "done"}, headers=headers)
    assert refused.status_code == 200  # an expected outcome of a drag (the REST API says 409)
    body = refused.json()
    assert body["ok"] is False and body["rule"] == "done-needs-reason"
    assert body["done_reasons"] == ["no-go"]
    moved = client.post(f"/portfolio/epics/{epic.key}/move", data={"to": "implementing:mvp"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["ok"] is True
    assert moved.json()["columns"]["implementing:mvp"]["state_count"] == 1
    no_token = client.post(
        f"/portfolio/epics/{epic.key}/move", data={"to": "ready"}, headers={**ORIGIN, "Accept": "application/json"}
    )
    assert no_token.status_code == 403
    with runtime.store.unit_of_work(actor_of(runtime, "bea"), write=False) as uow:
        assert portfolio.get_epic(uow, epic.key).state == EpicState.IMPLEMENTING


def test_forms_create_and_refuse_with_reasons(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "bea", Role.BOARD)
    created = client.post(
        "/portfolio/epics/new",
        data={
            "csrf_token": csrf,
            "title": "Swarm inspections",
            "hypothesis_for_customers": "wind farms",
            "business_outcomes": "fewer climbs\n\nfaster inspections",
            "indicator_0_name": "Inspections flown",
            "indicator_0_metric_query": "sum(drone.inspections[30d])",
            "indicator_0_baseline": "0",
            "indicator_0_target": "100",
            "indicator_0_direction": "increase",
            "indicator_0_deadline": "2027-06-30",
            "indicator_0_source": "telemetry",
            "indicator_1_name": "",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/portfolio/epics/EPIC-1"
    with runtime.store.unit_of_work(actor_of(runtime, "bea"), write=False) as uow:
        epic = portfolio.get_epic(uow, "EPIC-1")
    assert epic.business_outcomes == ["fewer climbs", "faster inspections"]
    assert [(i.name, i.source) for i in epic.leading_indicators] == [("Inspections flown", "telemetry")]

    bad = client.post(
        "/portfolio/epics/EPIC-1/edit",
        data={
            "csrf_token": csrf,
            "title": "Swarm inspections",
            "indicator_0_name": "Broken",
            "indicator_0_metric_query": "avg(x)",
        },
        headers=ORIGIN,
    )
    assert bad.status_code == 422
    assert "leading_indicators.0" in bad.text and 'value="Broken"' in bad.text

    refused = client.post("/portfolio/epics/EPIC-1/move", data={"csrf_token": csrf, "to": "reviewing"}, headers=ORIGIN)
    assert refused.status_code == 409 and "reviewing-needs-hypothesis" in refused.text

    scored = client.post(
        "/portfolio/backlog",
        data={"csrf_token": csrf, "epic": ["EPIC-1"], "EPIC-1:user_business_value": "4"},
        headers=ORIGIN,
    )
    assert scored.status_code == 422 and "EPIC-1 time criticality: Field required" in scored.text
    assert "EPIC-1 user business value: Value error, 4 is not on the modified Fibonacci scale" in scored.text

    settings = client.post(
        "/portfolio/settings",
        data={"csrf_token": csrf, "wip_reviewing": "2", "gate_reviewing-needs-hypothesis": "on"},
        headers=ORIGIN,
    )
    assert settings.status_code == 200 and "Saved." in settings.text
    config = client.get("/portfolio/settings").text
    assert re.search(r'name="wip_reviewing"[^>]*value="2"', config)
    assert not re.search(r'name="gate_ready-needs-mvp" checked', config)  # unticked boxes switch gates off

    theme = client.post(
        "/portfolio/themes",
        data={
            "csrf_token": csrf,
            "objective": "Grow heavy lift",
            "kr_0_description": "Share",
            "kr_0_target": "15",
            "kr_0_unit": "%",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "THEME-1 · Grow heavy lift" in theme.text and "to <strong>15</strong> %" in theme.text


def test_scoring_table_rescores_in_one_go(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    first = ready_epic(runtime, board, "First")
    second = ready_epic(runtime, board, "Second")
    data = {"csrf_token": csrf, "epic": [first.key, second.key], "note": "PI 5"}
    for key, values in ((first.key, ("1", "1", "1", "20")), (second.key, ("20", "20", "20", "1"))):
        for part, value in zip(
            ("user_business_value", "time_criticality", "risk_reduction", "job_size"), values, strict=True
        ):
            data[f"{key}:{part}"] = value
    response = client.post("/portfolio/backlog", data=data, headers=ORIGIN)
    assert response.status_code == 200 and "Re-scored 2 epic(s)." in response.text
    assert response.text.index(second.key) < response.text.index(first.key)
    data[f"{first.key}:job_size"] = "4"
    wrong = client.post("/portfolio/backlog", data=data, headers=ORIGIN)
    assert wrong.status_code == 422 and f"{first.key} job size" in wrong.text and "modified Fibonacci" in wrong.text


def test_viewers_see_but_cannot_change(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bea", Role.BOARD)
    ready_epic(runtime, actor_of(runtime, "bea"))
    csrf = _signed_in(client, runtime, "vic", Role.VIEWER)
    page = client.get("/portfolio").text
    assert "data-movable" not in page and "New epic" not in page
    refused = client.post(
        "/portfolio/epics/EPIC-1/move",
        data={"csrf_token": csrf, "to": "analyzing"},
        headers={**ORIGIN, "Accept": "application/json"},
    )
    assert refused.json()["code"] == "permission-denied" and "lacks the permission" in refused.json()["message"]
    with runtime.store.unit_of_work(actor_of(runtime, "bea"), write=False) as uow:
        assert portfolio.get_epic(uow, "EPIC-1").state == EpicState.READY  # nothing moved
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        audited = accounts.list_audit_entries(uow, AuditFilter(actor="vic"), PageRequest(limit=10)).items
    refusals = [(e.outcome, e.action) for e in audited if e.outcome == "refused"]
    assert refusals == [("refused", "POST /portfolio/epics/{key}/move")]
    assert (
        client.post("/portfolio/settings", data={"csrf_token": csrf, "wip_reviewing": "1"}, headers=ORIGIN).status_code
        == 403
    )


def test_product_forms_make_features_and_stories(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "paul", Role.PRODUCT)
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))
    make_user(runtime, "bea", Role.BOARD)
    epic = ready_epic(runtime, actor_of(runtime, "bea"))
    created = client.post(
        f"/product/epics/{epic.key}/features",
        data={
            "csrf_token": csrf,
            "title": "Bigger batteries",
            "acceptance_criteria": "40 km loaded\n90 min charge",
            "flow_item": "feature",
            "team": "power-systems",
            "user_business_value": "13",
            "time_criticality": "8",
            "risk_reduction": "5",
            "job_size": "8",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert created.status_code == 200 and "FEAT-1 · Bigger batteries" in created.text
    assert "<li>90 min charge</li>" in created.text and "3.25" in created.text
    bad = client.post(f"/product/epics/{epic.key}/features", data={"csrf_token": csrf, "title": ""}, headers=ORIGIN)
    assert bad.status_code == 422 and "title" in bad.text

    story = client.post(
        "/product/features/FEAT-1/stories",
        data={"csrf_token": csrf, "title": "Cell chemistry", "points": "5"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "Cell chemistry" in story.text and "power-systems" in story.text
    started = client.post(
        "/product/features/FEAT-1/state",
        data={"csrf_token": csrf, "to": "active", "reason": "kick-off"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert 'data-testid="feature-state">active' in started.text and "(kick-off)" in started.text
    refused = client.post("/product/features/FEAT-1/state", data={"csrf_token": csrf, "to": "new"}, headers=ORIGIN)
    assert refused.status_code == 409 and "cannot go from active to new" in refused.text
    unassigned = client.post(
        "/product/features/FEAT-1/team", data={"csrf_token": csrf, "team": ""}, headers=ORIGIN, follow_redirects=True
    )
    assert "team: none yet" in unassigned.text
    headers = {**ORIGIN, "X-CSRF-Token": csrf, "Accept": "application/json"}
    moved = client.post("/product/stories/STORY-1/state", data={"to": "waiting"}, headers=headers)
    assert moved.json() == {"ok": True, "message": "STORY-1 is waiting"}
    wrong = client.post("/product/teams/power-systems/order", data={"story": ["STORY-9"]}, headers=headers)
    assert wrong.json()["ok"] is False and "STORY-9" in wrong.json()["message"]


def test_import_page_dry_runs_then_imports(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "ada", Role.ADMIN)
    content = b"type,ref,parent,title\nepic,A,,Imported epic\nfeature,B,A,Imported feature\nfeature,C,Z,Lost\n"
    dry = client.post(
        "/portfolio/import",
        data={"csrf_token": csrf, "dry_run": "on"},
        files={"file": ("export.csv", content, "text/csv")},
        headers=ORIGIN,
    )
    assert dry.status_code == 422 and "Nothing would be imported: 1 problem" in dry.text
    assert "no epic with the ref &#39;Z&#39; in this file" in dry.text
    done = client.post(
        "/portfolio/import",
        data={"csrf_token": csrf, "skip_invalid": "on"},
        files={"file": ("export.csv", content, "text/csv")},
        headers=ORIGIN,
    )
    assert done.status_code == 200 and "Imported 1 epic and 1 feature, skipping 1 row" in done.text
    assert 'href="/portfolio/epics/EPIC-1"' in done.text and 'href="/product/features/FEAT-1"' in done.text
    empty = client.post("/portfolio/import", data={"csrf_token": csrf}, headers=ORIGIN)
    assert empty.status_code == 422 and "Choose a CSV or JSON file." in empty.text


def test_themes_archive_and_restore(client: TestClient, runtime: Runtime) -> None:
    csrf = _signed_in(client, runtime, "bea", Role.BOARD)
    with runtime.store.unit_of_work(actor_of(runtime, "bea")) as uow:
        portfolio.create_theme(uow, ThemeCreate(objective="Grow heavy lift"))
    archived = client.post(
        "/portfolio/themes/THEME-1/archive",
        data={"csrf_token": csrf, "archived": "on"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "archived</span>" in archived.text and ">Restore<" in archived.text
    with runtime.store.unit_of_work(actor_of(runtime, "bea"), write=False) as uow:
        assert portfolio.list_themes(uow) == []


PRODUCT_EPIC = re.compile(r'<a href="/product/epics/(EPIC-\d+)">')


def section(html: str, state: str) -> str:
    """One state's group on /product."""
    start = html.index(f'data-state="{state}"')
    return html[start : html.index("</section>", start)]


def test_product_shows_twenty_epics_a_state_and_links_to_the_rest(client: TestClient, runtime: Runtime) -> None:
    _signed_in(client, runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    with runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits={EpicState.READY: 50}))
    for n in range(22):
        ready_epic(runtime, board, f"Idea {n:02d}")

    html = client.get("/product").text
    ready = section(html, "ready")
    # the 20 that entered Ready last, newest first; the count and a link to the whole list of the state
    assert PRODUCT_EPIC.findall(ready) == [f"EPIC-{n}" for n in range(22, 2, -1)]
    assert 'Ready <span class="muted">(22)</span>' in ready
    assert '<a href="/portfolio/epics?state=ready" data-testid="more-ready">All 22 ready epics</a>' in ready
    assert "None." in section(html, "implementing") and "more-implementing" not in html
    listed = client.get("/portfolio/epics?state=ready").text
    assert "22 epics" in listed and 'href="/portfolio/epics/EPIC-1"' in listed


def test_product_pages_the_team_backlogs(client: TestClient, runtime: Runtime) -> None:
    _signed_in(client, runtime, "paul", Role.PRODUCT)
    make_user(runtime, "pia", Role.PLATFORM)

    def crews(first: int, last: int) -> None:
        with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
            for n in range(first, last):
                teams.create_team(uow, TeamCreate(key=f"crew-{n:02d}", name=f"Crew {n:02d}"))

    crews(0, 5)
    few = selects_for(runtime, client, "/product")
    crews(5, 55)
    assert selects_for(runtime, client, "/product") == few  # the teams' page, not a read per team
    team_link = re.compile(r'<li><a href="/product/teams/(crew-\d+)">')
    first = client.get("/product").text
    assert "showing 1–50 of 55 teams" in first
    assert team_link.findall(first) == [f"crew-{n:02d}" for n in range(50)]
    assert 'rel="next" href="/product?offset=50"' in first
    second = client.get("/product", params={"offset": 50}).text
    assert team_link.findall(second) == [f"crew-{n:02d}" for n in range(50, 55)]
    assert "showing 51–55 of 55 teams" in second and 'rel="prev" href="/product"' in second
    assert client.get("/product", params={"offset": -1}).status_code == 422


def test_a_features_stories_page_fifty_at_a_time(client: TestClient, runtime: Runtime) -> None:
    _signed_in(client, runtime, "paul", Role.PRODUCT)
    make_user(runtime, "bea", Role.BOARD)
    epic = ready_epic(runtime, actor_of(runtime, "bea"))
    with runtime.store.unit_of_work(actor_of(runtime, "paul")) as uow:
        feature = portfolio.create_feature(uow, FeatureCreate(epic=epic.key, title="Bigger batteries"))
        for n in range(53):
            portfolio.create_story(uow, StoryCreate(feature=feature.key, title=f"Cell test {n:02d}"))
    first = client.get(f"/product/features/{feature.key}").text
    assert "showing 1–50 of 53 stories" in first and first.count("Cell test") >= 50
    assert f'href="/product/features/{feature.key}?offset=50#stories"' in first
    rest = client.get(f"/product/features/{feature.key}", params={"offset": 50}).text
    assert "showing 51–53 of 53 stories" in rest
    assert "Cell test 52" in rest and "Cell test 00" not in rest
    assert client.get(f"/product/features/{feature.key}", params={"offset": -1}).status_code == 422
