"""The portfolio over REST: problem JSON naming the gate, history and audit, strict input, permissions."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import MadeUser, make_user

HYPOTHESIS = {
    "for_customers": "logistics companies",
    "who": "move heavy payloads",
    "the_solution": "heavy-lift drone",
    "is_a": "cargo drone",
    "that": "carries 25 kg",
    "unlike": "5 kg drones",
    "our_solution": "flies 40 km loaded",
}
INDICATORS = [
    {
        "name": "Heavy-lift units sold",
        "metric_query": 'sum(business.units_sold{product="heavy-lift"}[30d])',
        "source": "business",
        "baseline": 0,
        "target": 50,
        "direction": "increase",
        "deadline": "2027-06-30",
        "weight": 2,
        "critical": True,
    }
]


def _post(client: TestClient, user: MadeUser, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1{path}", headers=user.headers, json=body)
    assert response.status_code in {200, 201}, response.text
    return response.json()


def test_an_illegal_move_is_a_409_naming_the_gate(client: TestClient, runtime: Runtime) -> None:
    pm = make_user(runtime, "paul", Role.PRODUCT)
    board = make_user(runtime, "bea", Role.BOARD)
    epic = _post(client, pm, "/epics", {"title": "Heavy-lift drones", "hypothesis": HYPOTHESIS, "owner": "bea"})
    key = epic["key"]
    _post(client, pm, f"/epics/{key}/moves", {"to": "reviewing", "reason": "promising"})
    _post(
        client,
        pm,
        f"/epics/{key}/scores",
        {"user_business_value": 20, "time_criticality": 8, "risk_reduction": 13, "job_size": 8},
    )
    _post(client, pm, f"/epics/{key}/moves", {"to": "analyzing"})

    refused = client.post(f"/api/v1/epics/{key}/moves", headers=pm.headers, json={"to": "ready"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["rule"] == "ready-needs-business-case"
    assert [r["rule"] for r in body["refusals"]] == ["ready-needs-business-case", "ready-needs-mvp"]
    assert "ready-needs-business-case" in body["detail"] and body["can_override"] is False
    assert body["type"] == "urn:digital-factory:problem:conflict"

    illegal = client.post(f"/api/v1/epics/{key}/moves", headers=pm.headers, json={"to": "done:later"})
    assert illegal.status_code == 422 and illegal.json()["errors"][0]["field"] == "to"
    skipping = client.post(f"/api/v1/epics/{key}/moves", headers=pm.headers, json={"to": "implementing"})
    assert skipping.json()["rule"] == "transition-not-allowed"

    history = client.get(f"/api/v1/epics/{key}/transitions", headers=pm.headers).json()
    assert [(t["from_column"], t["to_column"], t["actor_name"]) for t in history] == [
        (None, "funnel", "paul"),
        ("funnel", "reviewing", "paul"),
        ("reviewing", "analyzing", "paul"),
    ]
    audit = client.get("/api/v1/audit", headers=board.headers, params={"action": "epic.move"}).json()["items"]
    assert [(e["object_id"], e["before"]["column"], e["after"]["column"], e["origin"]) for e in audit] == [
        (key, "reviewing", "analyzing", "api"),
        (key, "funnel", "reviewing", "api"),
    ]
    assert audit[1]["after"]["reason"] == "promising"


def test_wip_refusal_and_board_override_over_rest(client: TestClient, runtime: Runtime) -> None:
    pm = make_user(runtime, "paul", Role.PRODUCT)
    board = make_user(runtime, "bea", Role.BOARD)
    settings = client.patch("/api/v1/portfolio/kanban", headers=board.headers, json={"wip_limits": {"reviewing": 1}})
    assert settings.status_code == 200
    assert {s["state"]: s["wip_limit"] for s in settings.json()["states"]}["reviewing"] == 1
    assert client.patch("/api/v1/portfolio/kanban", headers=pm.headers, json={"gates": {}}).status_code == 403
    bad = client.patch("/api/v1/portfolio/kanban", headers=board.headers, json={"wip_limits": {"reviewing": 0}})
    assert bad.status_code == 422
    first = _post(client, pm, "/epics", {"title": "One", "hypothesis": HYPOTHESIS})
    second = _post(client, pm, "/epics", {"title": "Two", "hypothesis": HYPOTHESIS})
    _post(client, pm, f"/epics/{first['key']}/moves", {"to": "reviewing"})
    full = client.post(f"/api/v1/epics/{second['key']}/moves", headers=board.headers, json={"to": "reviewing"})
    assert full.status_code == 409
    assert (full.json()["rule"], full.json()["can_override"]) == ("wip-limit", True)
    moved = _post(
        client,
        board,
        f"/epics/{second['key']}/moves",
        {"to": "reviewing", "wip_override_reason": "board priority"},
    )
    assert moved["transition"]["wip_override"] is True
    assert moved["epic"]["state"] == "reviewing"
    column = client.get("/api/v1/portfolio/board", headers=pm.headers).json()["columns"][1]
    assert (column["id"], column["count"], column["wip_limit"]) == ("reviewing", 2, 1)


def test_epic_detail_round_trips_and_input_is_strict(client: TestClient, runtime: Runtime) -> None:
    pm = make_user(runtime, "paul", Role.PRODUCT)
    board = make_user(runtime, "bea", Role.BOARD)
    theme = _post(
        client,
        board,
        "/themes",
        {
            "objective": "Grow market share in heavy lift",
            "key_results": [
                {
                    "description": "Heavy-lift share 15%",
                    "metric_query": 'avg(business.market_share{segment="heavy"}[90d])',
                    "baseline": 0.04,
                    "target": 0.15,
                    "unit": "share",
                    "due": "2027-12-31",
                }
            ],
        },
    )
    assert client.post("/api/v1/themes", headers=pm.headers, json={"objective": "Mine"}).status_code == 403
    epic = _post(
        client,
        pm,
        "/epics",
        {
            "title": "Heavy-lift drones",
            "themes": [theme["key"]],
            "hypothesis": HYPOTHESIS,
            "leading_indicators": INDICATORS,
            "business_case": {"analysis_summary": "yes", "mvp_cost": 1, "full_cost": 2, "recommendation": "go"},
            "nfrs": ["IP54"],
        },
    )
    fetched = client.get(f"/api/v1/epics/{epic['key']}", headers=pm.headers).json()
    assert fetched["leading_indicators"][0]["critical"] is True
    assert fetched["business_case"]["recommendation"] == "go"
    assert fetched["themes"] == [theme["key"]] and fetched["nfrs"] == ["IP54"]
    assert client.get(f"/api/v1/themes/{theme['key']}", headers=pm.headers).json()["epic_count"] == 1

    for body, field in (
        (
            {
                "title": "x",
                "score": {"user_business_value": 4, "time_criticality": 1, "risk_reduction": 1, "job_size": 1},
            },
            "body.score.user_business_value",
        ),
        (
            {
                "title": "x",
                "score": {"user_business_value": "5", "time_criticality": 1, "risk_reduction": 1, "job_size": 1},
            },
            "body.score.user_business_value",
        ),
        (
            {"title": "x", "leading_indicators": [{**INDICATORS[0], "metric_query": "sum(units)"}]},
            "body.leading_indicators.0.metric_query",
        ),
        ({"title": "x", "priority": "high"}, "body.priority"),
        ({"title": "x", "estimated_cost": -5}, "body.estimated_cost"),
    ):
        response = client.post("/api/v1/epics", headers=pm.headers, json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    off_scale = client.post(
        f"/api/v1/epics/{epic['key']}/scores",
        headers=pm.headers,
        json={"user_business_value": 1, "time_criticality": 1, "risk_reduction": 1, "job_size": 0},
    )
    assert off_scale.status_code == 422 and "modified Fibonacci" in off_scale.json()["detail"]
    assert client.get("/api/v1/epics", headers=pm.headers).json()["total"] == 1
    assert client.get("/api/v1/epics/EPIC-99", headers=pm.headers).status_code == 404
    assert client.get("/api/v1/epics/not-a-key", headers=pm.headers).status_code == 404


def test_features_stories_and_backlogs_over_rest(client: TestClient, runtime: Runtime) -> None:
    pm = make_user(runtime, "paul", Role.PRODUCT)
    platform = make_user(runtime, "pia", Role.PLATFORM)
    team = make_user(runtime, "fiona", Role.TEAM)
    _post(client, platform, "/teams", {"key": "flight-software", "name": "Flight Software"})
    epic = _post(client, pm, "/epics", {"title": "Heavy-lift drones"})
    feature = _post(
        client,
        pm,
        "/features",
        {"epic": epic["key"], "title": "Modified flight software", "team": "flight-software", "flow_item": "feature"},
    )
    story = _post(client, pm, "/stories", {"feature": feature["key"], "title": "Payload envelope", "points": 5})
    second = _post(client, team, "/stories", {"feature": feature["key"], "title": "Gust handling"})
    assert story["team"] == "flight-software" and story["epic"] == epic["key"]
    started = _post(client, team, f"/stories/{story['key']}/state", {"to": "active"})
    assert started["state"] == "active"
    assert client.get(f"/api/v1/features/{feature['key']}", headers=team.headers).json()["state"] == "active"
    order = client.put(
        "/api/v1/backlogs/flight-software", headers=team.headers, json={"stories": [second["key"], story["key"]]}
    )
    assert order.status_code == 200
    assert [s["key"] for s in order.json()["stories"]] == [second["key"], story["key"]]
    history = client.get(f"/api/v1/stories/{story['key']}/history", headers=team.headers).json()
    assert [h["to_state"] for h in history] == ["new", "active"]
    listed = client.get("/api/v1/features", headers=team.headers, params={"epic": epic["key"]}).json()
    assert [f["story_count"] for f in listed["items"]] == [2]
    assert (
        client.get(f"/api/v1/epics/{epic['key']}/features", headers=team.headers).json()[0]["team"] == "flight-software"
    )
    bad = client.post(f"/api/v1/stories/{story['key']}/state", headers=team.headers, json={"to": "finished"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.to"
    viewer = make_user(runtime, "vic", Role.VIEWER)
    assert (
        client.post(
            "/api/v1/stories", headers=viewer.headers, json={"feature": feature["key"], "title": "x"}
        ).status_code
        == 403
    )


def test_import_over_rest(client: TestClient, runtime: Runtime) -> None:
    pm = make_user(runtime, "paul", Role.PRODUCT)
    csv_text = "type,ref,parent,title\nepic,A,,Imported epic\nfeature,B,A,Imported feature\n"
    dry = client.post(
        "/api/v1/epics/import",
        headers={**pm.headers, "Content-Type": "text/csv"},
        params={"dry_run": "true"},
        content=csv_text.encode(),
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["epics"], dry.json()["features"], dry.json()["dry_run"]) == (1, 1, True)
    done = client.post(
        "/api/v1/epics/import", headers={**pm.headers, "Content-Type": "text/csv"}, content=csv_text.encode()
    )
    assert [i["key"] for i in done.json()["items"]] == ["EPIC-1", "FEAT-1"]
    as_json = client.post("/api/v1/epics/import", headers=pm.headers, json={"epics": [{"title": "From JSON"}]})
    assert as_json.json()["items"][0]["key"] == "EPIC-2"
    binary = client.post(
        "/api/v1/epics/import", headers={**pm.headers, "Content-Type": "text/csv"}, content=b"\xff\xfe\x00bad"
    )
    assert binary.status_code == 422 and binary.json()["errors"][0]["field"] == "body"
    anonymous = client.post("/api/v1/epics/import", content=csv_text.encode())
    assert anonymous.status_code == 401
