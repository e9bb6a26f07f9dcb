from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.roles import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user


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
