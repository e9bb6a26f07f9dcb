"""/api/v1 for teams: members, domains, interactions, survey, topology, Team API export/import."""

from __future__ import annotations

import yaml
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.teams.helpers import drone_teams

ANSWERS = {"effective": 4, "domain-complexity": 4, "breadth": 4, "toil": 4, "tooling": 4, "learning": 4}


def test_team_lifecycle_over_the_api(client: TestClient, runtime: Runtime) -> None:
    people = drone_teams(runtime)
    pia, fiona, vic = people["pia"].headers, people["fiona"].headers, people["vic"].headers

    patched = client.patch(
        "/api/v1/teams/flight-software",
        headers=fiona,
        json={"mission": "Fly heavier", "profile": {"channels": [{"type": "slack", "name": "#fsw"}]}},
    )
    assert patched.status_code == 200 and patched.json()["profile"]["channels"] == [{"type": "slack", "name": "#fsw"}]
    assert (
        client.patch("/api/v1/teams/flight-software", headers=fiona, json={"team_type": "platform"}).status_code == 403
    )

    domain = client.post(
        "/api/v1/teams/flight-software/domains", headers=fiona, json={"name": "Flight control", "complexity": "complex"}
    )
    assert domain.status_code == 201 and domain.json()["key"] == "flight-control"
    client.post(
        "/api/v1/teams/flight-software/domains", headers=fiona, json={"name": "Telemetry", "complexity": "simple"}
    )
    warnings = client.get("/api/v1/teams/flight-software/warnings", headers=vic).json()
    assert [w["rule"] for w in warnings] == ["complex-domain-not-alone"]
    bad = client.post(
        "/api/v1/teams/flight-software/domains", headers=fiona, json={"name": "X", "complexity": "chaotic"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.complexity"
    assert (
        client.patch("/api/v1/domains/telemetry", headers=pia, json={"owner_team": None}).json()["owner_team"] is None
    )
    assert client.delete("/api/v1/domains/telemetry", headers=pia).status_code == 204
    assert [d["key"] for d in client.get("/api/v1/domains", headers=vic).json()] == ["flight-control"]

    interaction = client.post(
        "/api/v1/interactions",
        headers=fiona,
        json={
            "team": "flight-software",
            "with_team": "platform",
            "mode": "collaboration",
            "starts_on": "2026-01-05",
            "expected_duration": 6,
            "expected_duration_unit": "weeks",
        },
    )
    assert interaction.status_code == 201, interaction.text
    body = interaction.json()
    assert body["expected_end"] == "2026-02-16"
    half = client.post(
        "/api/v1/interactions",
        headers=pia,
        json={"team": "platform", "with_team": "power-systems", "mode": "collaboration", "expected_duration": 3},
    )
    assert half.status_code == 422 and "go together" in half.json()["detail"]
    ended = client.patch(f"/api/v1/interactions/{body['id']}", headers=fiona, json={"ends_on": "2026-02-20"})
    assert ended.json()["ends_on"] == "2026-02-20" and not ended.json()["current"]
    client.post(
        "/api/v1/interactions",
        headers=pia,
        json={"team": "power-systems", "with_team": "platform", "mode": "x-as-a-service"},
    )
    topology = client.get("/api/v1/topology", headers=vic).json()
    assert [(i["team"], i["mode"]) for i in topology["interactions"]] == [("power-systems", "x-as-a-service")]
    assert {t["key"] for t in topology["teams"]} == {"flight-software", "power-systems", "platform", "coaching"}

    member = client.patch(
        "/api/v1/teams/flight-software/members/fiona", headers=fiona, json={"team_role": "engineering lead"}
    )
    assert member.json()["members"][0]["team_role"] == "engineering lead"
    assert client.delete("/api/v1/teams/flight-software/members/fiona", headers=fiona).status_code == 403
    assert client.get("/api/v1/teams", headers=vic, params={"team_type": "enabling"}).json()["total"] == 1
    detail = client.get("/api/v1/teams/flight-software", headers=vic).json()
    assert [d["name"] for d in detail["domains"]] == ["Flight control"] and detail["latest_survey"] is None


def test_survey_over_the_api(client: TestClient, runtime: Runtime) -> None:
    people = drone_teams(runtime)
    questions = client.get("/api/v1/survey/questions", headers=people["vic"].headers).json()
    assert questions[0]["id"] == "effective" and len(questions) == 6
    score = client.post(
        "/api/v1/teams/flight-software/survey", headers=people["fiona"].headers, json={"answers": ANSWERS}
    )
    assert score.status_code == 201 and score.json()["index"] == 58.3
    refused = client.post(
        "/api/v1/teams/flight-software/survey",
        headers=people["fiona"].headers,
        json={"answers": {**ANSWERS, "toil": 6}},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.answers.toil"
    outsider = client.post(
        "/api/v1/teams/flight-software/survey", headers=people["pavel"].headers, json={"answers": ANSWERS}
    )
    assert outsider.status_code == 403
    results = client.get("/api/v1/teams/flight-software/survey", headers=people["vic"].headers).json()
    assert [s["index"] for s in results["scores"]] == [58.3]


def test_team_api_over_the_api(client: TestClient, runtime: Runtime) -> None:
    people = drone_teams(runtime)
    pia = people["pia"].headers
    as_yaml = client.get("/api/v1/teams/flight-software/team-api", headers=pia, params={"format": "yaml"})
    assert as_yaml.status_code == 200 and as_yaml.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(as_yaml.text)
    as_json = client.get("/api/v1/teams/flight-software/team-api", headers=pia)
    assert as_json.json() == document
    assert (
        client.get("/api/v1/teams/flight-software/team-api", headers=pia, params={"format": "xml"}).status_code == 422
    )

    document["info"] = {"name": "Engines", "key": "engines"}
    document["members"] = [{"username": "fiona"}, {"username": "pavel"}, {"username": "ghost"}]
    refused = client.post("/api/v1/teams/import", headers=pia, json=document)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["errors"] == [{"field": "members[2].username", "reason": "no such user"}]
    assert "members[2].username: no such user" in problem["detail"]
    assert client.get("/api/v1/teams/engines", headers=pia).status_code == 404

    document["members"] = document["members"][:2]
    checked = client.post("/api/v1/teams/import", headers=pia, params={"dry_run": "true"}, json=document)
    assert checked.json() == {"team": "engines", "created": True, "dry_run": True, "ignored": []}
    assert client.get("/api/v1/teams/engines", headers=pia).status_code == 404
    created = client.post(
        "/api/v1/teams/import",
        headers={**pia, "Content-Type": "application/yaml"},
        content=yaml.safe_dump(document).encode(),
    )
    assert created.status_code == 200 and created.json()["created"]
    assert [m["username"] for m in client.get("/api/v1/teams/engines", headers=pia).json()["members"]] == [
        "fiona",
        "pavel",
    ]
    garbled = client.post(
        "/api/v1/teams/import",
        headers=pia,
        content=b'{"teamapi": ',
    )
    assert garbled.status_code == 422 and garbled.json()["errors"][0]["field"] == "document"
    forbidden = client.post("/api/v1/teams/import", headers=people["fiona"].headers, json=document)
    assert forbidden.status_code == 403
