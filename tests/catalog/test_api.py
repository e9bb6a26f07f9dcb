from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user
from tests.teams.helpers import drone_teams


def test_register_and_list_services(client: TestClient, runtime: Runtime) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    assert (
        client.post("/api/v1/teams", headers=platform.headers, json={"key": "engines", "name": "Engines"}).status_code
        == 201
    )
    created = client.post(
        "/api/v1/services",
        headers=platform.headers,
        json={"key": "engine-control", "name": "Engine control", "owner_team": "engines"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["owner_team"] == "engines"

    listed = client.get("/api/v1/services", headers=viewer.headers, params={"owner_team": "engines"}).json()
    assert [s["key"] for s in listed["items"]] == ["engine-control"]
    refused = client.post("/api/v1/services", headers=viewer.headers, json={"key": "x-svc", "name": "X"})
    assert refused.status_code == 403
    unknown_team = client.post(
        "/api/v1/services", headers=platform.headers, json={"key": "orphan", "name": "Orphan", "owner_team": "nobody"}
    )
    assert unknown_team.status_code == 404
    bad_key = client.post("/api/v1/services", headers=platform.headers, json={"key": "Not A Slug", "name": "X"})
    assert bad_key.status_code == 422 and bad_key.json()["errors"][0]["field"] == "body.key"


def test_services_get_environments_in_promotion_order(client: TestClient, runtime: Runtime) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    default = client.post("/api/v1/services", headers=platform.headers, json={"key": "drone-api", "name": "Drone API"})
    envs = default.json()["environments"]
    assert [(e["name"], e["position"], e["approval_roles"]) for e in envs] == [
        ("dev", 0, []),
        ("staging", 1, []),
        ("prod", 2, ["team", "admin"]),
    ]
    custom = client.post(
        "/api/v1/services",
        headers=platform.headers,
        json={
            "key": "site",
            "name": "Site",
            "environments": [{"name": "preview"}, {"name": "live", "approval_roles": ["product"]}],
        },
    )
    assert [e["name"] for e in custom.json()["environments"]] == ["preview", "live"]
    duplicate = client.post(
        "/api/v1/services",
        headers=platform.headers,
        json={"key": "dup", "name": "Dup", "environments": [{"name": "dev"}, {"name": "dev"}]},
    )
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["field"] == "environments"
    assert client.get("/api/v1/services/dup", headers=platform.headers).status_code == 404


def test_value_streams_dependencies_and_service_updates(client: TestClient, runtime: Runtime) -> None:

    people = drone_teams(runtime)
    pia, pavel, vic = people["pia"].headers, people["pavel"].headers, people["vic"].headers
    stream = client.post("/api/v1/value-streams", headers=pia, json={"key": "heavy-lift", "name": "Heavy-lift drones"})
    assert stream.status_code == 201
    assert client.post("/api/v1/value-streams", headers=vic, json={"key": "x-y", "name": "X"}).status_code == 403
    for key, owner in (("flight-control", "flight-software"), ("battery-api", "power-systems")):
        created = client.post(
            "/api/v1/services",
            headers=pia,
            json={"key": key, "name": key, "owner_team": owner, "value_stream": "heavy-lift"},
        )
        assert created.status_code == 201 and created.json()["value_stream"] == "heavy-lift"
    assert client.get("/api/v1/value-streams/heavy-lift", headers=vic).json()["services"] == 2

    added = client.post("/api/v1/services/battery-api/dependencies", headers=pavel, json={"on": "flight-control"})
    assert added.status_code == 201 and added.json()["cycles"] == []
    looped = client.post("/api/v1/services/flight-control/dependencies", headers=pia, json={"on": "battery-api"})
    assert looped.json()["cycles"][0]["path"] == ["flight-control", "battery-api", "flight-control"]
    itself = client.post("/api/v1/services/battery-api/dependencies", headers=pavel, json={"on": "battery-api"})
    assert itself.status_code == 422 and itself.json()["errors"] == [
        {"field": "on", "reason": "a service cannot depend on itself"}
    ]
    both = client.get("/api/v1/services/battery-api/dependencies", headers=vic).json()
    assert [d["service"]["key"] for d in both["depends_on"]] == ["flight-control"]
    assert [d["service"]["key"] for d in both["dependents"]] == ["flight-control"]
    assert [c["services"] for c in client.get("/api/v1/dependencies/cycles", headers=vic).json()] == [
        ["battery-api", "flight-control"]
    ]
    assert client.delete("/api/v1/services/flight-control/dependencies/battery-api", headers=pia).status_code == 204
    assert client.get("/api/v1/dependencies/cycles", headers=vic).json() == []

    moved = client.patch("/api/v1/services/battery-api", headers=pavel, json={"value_stream": None, "name": "Battery"})
    assert moved.status_code == 200 and (moved.json()["value_stream"], moved.json()["name"]) == (None, "Battery")
    assert client.patch("/api/v1/services/flight-control", headers=pavel, json={"name": "mine"}).status_code == 403
    unknown = client.patch("/api/v1/services/battery-api", headers=pia, json={"value_stream": "nowhere"})
    assert unknown.status_code == 404
    overview = client.get("/api/v1/catalog", headers=vic).json()
    assert [(g["value_stream"] or {}).get("key") for g in overview["groups"]] == ["heavy-lift", None]
    assert overview["services"] == 2 and overview["dependencies"] == 1
    listed = client.get("/api/v1/services", headers=vic, params={"value_stream": "heavy-lift"}).json()
    assert [s["key"] for s in listed["items"]] == ["flight-control"]
    assert client.delete("/api/v1/value-streams/heavy-lift", headers=pia).status_code == 204
    assert client.get("/api/v1/services/flight-control", headers=vic).json()["value_stream"] is None
