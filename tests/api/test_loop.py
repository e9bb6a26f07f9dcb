"""GET /api/v1/epics/{key}/loop and /api/v1/features/{key}/loop: the loop world's figures over HTTP for a
viewer, unknown keys as problem JSON."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user
from tests.insights.loop_world import loop_world


def test_a_viewer_reads_the_loop_of_an_epic_and_of_a_feature(client: TestClient, runtime: Runtime) -> None:
    w = loop_world(runtime)
    viewer = make_user(runtime, "vera", Role.VIEWER)
    epic = client.get(f"/api/v1/epics/{w.epic}/loop", headers=viewer.headers)
    assert epic.status_code == 200, epic.text
    body = epic.json()
    assert [(s["key"], s["serves"]) for s in body["services"]] == [("hangar", [w.f2]), ("rotor", [w.epic])]
    prod = body["services"][0]["environments"][2]
    assert (prod["environment"], prod["deployment"]["version"], prod["deployment"]["status"]) == (
        "prod",
        "v1.2.0",
        "failed",
    )
    assert [(f["key"], [e["exposure"] for e in f["environments"]]) for f in body["flags"]] == [
        ("hangar-doors", [0.0, 0.0, 25.0]),
        ("cargo-bay", [100.0, 100.0]),
    ]
    assert body["dora"]["figures"]["deployment_frequency"]["sample_size"] == 3
    assert body["hypothesis"]["epic"] == w.epic
    assert [i["key"] for i in body["incidents"]] == [w.incident]
    feature = client.get(f"/api/v1/features/{w.f2.lower()}/loop", headers=viewer.headers).json()
    assert (feature["scope"], feature["key"], feature["epic"]) == ("feature", w.f2, w.epic)
    assert [f["key"] for f in feature["flags"]] == ["hangar-doors"]
    assert feature["features"][0]["lead_time"]["exposed_by"] == "deployment"


def test_unknown_keys_are_problem_json(client: TestClient, runtime: Runtime) -> None:
    viewer = make_user(runtime, "vera", Role.VIEWER)
    for url in ("/api/v1/epics/EPIC-404/loop", "/api/v1/features/FEAT-404/loop"):
        response = client.get(url, headers=viewer.headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "404" in response.json()["detail"]
