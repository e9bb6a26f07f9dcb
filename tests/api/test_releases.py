"""The releases REST API: flags, governed changes with approval, segments, the timeline, previews."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.factories import ensure_work
from tests.releases.builders import SERVICE, flight_control

FLAGS = f"/api/v1/services/{SERVICE}/flags"


def test_flag_lifecycle_through_the_api(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    pm, flight, vic = people["pm"].headers, people["flight"].headers, people["vic"].headers
    ensure_work(runtime, "FEAT-3")
    unknown = client.post(FLAGS, headers=pm, json={"key": "ghost-flag", "feature": "FEAT-99"})
    assert unknown.status_code == 404 and "FEAT-99" in unknown.json()["detail"]
    created = client.post(FLAGS, headers=pm, json={"key": "heavy-lift-mode", "name": "Heavy lift", "feature": "FEAT-3"})
    assert created.status_code == 201, created.text
    assert created.json()["environments"][2]["summary"] == "off · serves off"
    assert client.post(FLAGS, headers=vic, json={"key": "x"}).status_code == 403

    rollout = {"rollout": [{"variant": "on", "percent": 10}, {"variant": "off", "percent": 90}]}
    applied = client.post(
        f"{FLAGS}/heavy-lift-mode/environments/dev/changes", headers=pm, json={"enabled": True, "default": rollout}
    )
    assert applied.status_code == 201 and applied.json()["status"] == "applied"
    pending = client.post(
        f"{FLAGS}/heavy-lift-mode/environments/prod/changes", headers=pm, json={"enabled": True, "default": rollout}
    )
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    change = pending.json()["key"]
    assert change.startswith("FCR-")

    listed = client.get("/api/v1/flag-changes", headers=vic, params={"status": "pending"}).json()
    assert [c["key"] for c in listed["items"]] == [change]
    self_approval = client.post(f"/api/v1/flag-changes/{change}/approve", headers=pm, json={"note": "me"})
    assert self_approval.status_code == 403
    assert self_approval.json()["type"] == "urn:digital-factory:problem:permission-denied"
    approved = client.post(f"/api/v1/flag-changes/{change}/approve", headers=flight)
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    again = client.post(f"/api/v1/flag-changes/{change}/approve", headers=people["fred"].headers)
    assert again.status_code == 409 and again.json()["rule"] == "change-not-pending"

    timeline = client.get("/api/v1/releases", headers=vic, params={"service": SERVICE, "feature": "FEAT-3"}).json()
    assert [(r["environment"], r["kind"], r["approved_by"]) for r in timeline["items"]] == [
        ("prod", "on", "flight"),
        ("dev", "on", None),
    ]
    assert timeline["items"][0]["exposure_after"] == 10.0

    flag = client.get(f"{FLAGS}/heavy-lift-mode", headers=vic).json()
    assert [e["summary"] for e in flag["environments"]] == [
        "on · 10% on / 90% off",
        "off · serves off",
        "on · 10% on / 90% off",
    ]
    killed = client.post(f"{FLAGS}/heavy-lift-mode/environments/prod/kill", headers=flight, json={"reason": "test"})
    assert killed.status_code == 200 and killed.json()["status"] == "applied"
    preview = client.post(f"{FLAGS}/heavy-lift-mode/preview", headers=vic, json={"context": {"targetingKey": "d-1"}})
    assert [(p["environment"], p["reason"]) for p in preview.json()] == [
        ("dev", "SPLIT"),
        ("staging", "DISABLED"),
        ("prod", "DISABLED"),
    ]


def test_bad_input_names_the_field(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    pm = people["pm"].headers
    assert client.post(FLAGS, headers=pm, json={"key": "heavy-lift-mode"}).status_code == 201
    cases = [
        (FLAGS, {"key": "bad key!"}, "body.key"),
        (FLAGS, {"key": "ok", "feature": "feature 3"}, "body.feature"),
        (FLAGS, {"key": "ok", "type": "number", "variants": {"a": 1, "b": 2}}, "body.type"),
        (FLAGS, {"key": "ok", "colour": "red"}, "body.colour"),
        (f"{FLAGS}/heavy-lift-mode/environments/dev/changes", {"enabled": "yes"}, "body.enabled"),
        (f"{FLAGS}/heavy-lift-mode/environments/dev/changes", {"default": {"variant": "maybe"}}, "variant"),
        (
            f"{FLAGS}/heavy-lift-mode/environments/dev/changes",
            {"default": {"rollout": [{"variant": "on", "percent": 60}, {"variant": "off", "percent": 60}]}},
            "body.default",
        ),
        (
            f"{FLAGS}/heavy-lift-mode/environments/dev/changes",
            {
                "rules": [
                    {"conditions": [{"operator": "gt", "attribute": "n", "values": [1, 2]}], "serve": {"variant": "on"}}
                ]
            },
            "body.rules.0.conditions.0",
        ),
        (f"{FLAGS}/heavy-lift-mode/environments/dev/changes", {"enabled": True, "at": "2000-01-01T00:00:00Z"}, "at"),
    ]
    for path, body, field in cases:
        response = client.post(path, headers=pm, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, (body, response.json())
    assert (
        client.post(
            f"{FLAGS}/heavy-lift-mode/environments/moon/changes", headers=pm, json={"enabled": True}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/services/nowhere/flags", headers=pm).status_code == 404
    assert client.get("/api/v1/flag-changes/FCR-999", headers=pm).status_code == 404
    assert client.get(FLAGS, headers={}).status_code == 401


def test_segments_through_the_api(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    pm = people["pm"].headers
    url = f"/api/v1/services/{SERVICE}/environments/dev/segments/pilots"
    conditions = [{"attribute": "email", "operator": "ends_with", "values": ["@drones.example"]}]
    put = client.put(url, headers=pm, json={"key": "pilots", "included": ["alice"], "conditions": conditions})
    assert put.status_code == 200 and put.json()["status"] == "applied"
    prod = client.put(
        f"/api/v1/services/{SERVICE}/environments/prod/segments/pilots",
        headers=pm,
        json={"key": "pilots", "included": ["a"]},
    )
    assert prod.status_code == 202
    listed = client.get(f"/api/v1/services/{SERVICE}/environments/dev/segments", headers=pm).json()
    assert [(s["key"], s["included"], s["conditions"][0]["operator"]) for s in listed] == [
        ("pilots", ["alice"], "ends_with")
    ]
    nested = client.put(
        url, headers=pm, json={"key": "pilots", "conditions": [{"operator": "in_segment", "values": ["x"]}]}
    )
    assert nested.status_code == 422
    assert client.delete(url, headers=pm).status_code == 204
    assert client.get(f"/api/v1/services/{SERVICE}/environments/dev/segments", headers=pm).json() == []


def test_a_rollout_through_the_api_is_a_governed_change(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    pm, flight, vic = people["pm"].headers, people["flight"].headers, people["vic"].headers
    assert client.post(FLAGS, headers=pm, json={"key": "heavy-lift-mode"}).status_code == 201
    dev, prod = (f"{FLAGS}/heavy-lift-mode/environments/{env}/rollout" for env in ("dev", "prod"))

    assert client.post(dev, headers=vic, json={"percent": 25}).status_code == 403
    for body in ({"percent": 101}, {"percent": -1}, {"percent": 12.345}, {"percent": "lots"}):
        refused = client.post(dev, headers=pm, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.percent", (body, refused.json())

    applied = client.post(dev, headers=pm, json={"percent": 12.5})
    assert applied.status_code == 201, applied.text
    assert (applied.json()["status"], applied.json()["reason"]) == ("applied", "roll out on to 12.5%")
    assert applied.json()["change"] == {
        "enabled": True,
        "default": {"rollout": [{"variant": "on", "percent": 12.5}, {"variant": "off", "percent": 87.5}]},
    }
    everyone = client.post(dev, headers=pm, json={"percent": 100, "variant": "on", "reason": "all in"})
    assert everyone.json()["change"]["default"] == {"rollout": [{"variant": "on", "percent": 100.0}]}
    assert client.post(dev, headers=pm, json={"percent": 10, "variant": "maybe"}).status_code == 422

    pending = client.post(prod, headers=pm, json={"percent": 10})
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    assert pending.json()["approval_roles"] == ["team", "admin"]
    key = pending.json()["key"]
    assert client.post(f"/api/v1/flag-changes/{key}/approve", headers=pm).status_code == 403
    approved = client.post(f"/api/v1/flag-changes/{key}/approve", headers=flight)
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    flag = client.get(f"{FLAGS}/heavy-lift-mode", headers=vic).json()
    assert [e["summary"] for e in flag["environments"]] == [
        "on · 100% on",
        "off · serves off",
        "on · 10% on / 90% off",
    ]
