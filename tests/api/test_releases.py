"""The releases REST API: flags, governed changes with approval, segments, the timeline, previews."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec
from tests.factories import MadeUser, actor_of, ensure_work, make_user
from tests.releases.builders import OTHER, SERVICE, flight_control

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


def _flag_on_in_prod(client: TestClient, people: dict[str, MadeUser], service: str = OTHER) -> str:
    """A flag of `service` requested on in prod by pm; the pending change's key."""
    pm = people["pm"].headers
    flags = f"/api/v1/services/{service}/flags"
    assert client.post(flags, headers=pm, json={"key": "boost"}).status_code == 201  # product: any service
    pending = client.post(f"{flags}/boost/environments/prod/changes", headers=pm, json={"enabled": True})
    assert pending.status_code == 202, pending.text
    return str(pending.json()["key"])


def test_another_team_changes_no_flags_or_client_keys_of_a_service(client: TestClient, runtime: Runtime) -> None:
    """The issue: `flight` (flight-software) created flags and a prod client key on engine-control."""
    people = flight_control(runtime)
    flight, power, vic = people["flight"].headers, people["power"].headers, people["vic"].headers
    flags, keys = f"/api/v1/services/{OTHER}/flags", f"/api/v1/services/{OTHER}/client-keys"
    attempts = [
        (flags, {"key": "stolen"}),
        (keys, {"environment": "prod", "name": "stolen"}),
        (f"/api/v1/services/{OTHER}/environments/dev/segments/insiders", {"key": "insiders", "included": ["flight"]}),
    ]
    for path, body in attempts:
        for who in ("flight", "tess"):  # another team's member; a team role in no team
            method = "PUT" if "segments" in path else "POST"
            refused = client.request(method, path, headers=people[who].headers, json=body)
            assert refused.status_code == 403, (who, path, refused.text)
            assert "that is for members of the team power-systems" in refused.json()["detail"]
    assert client.get(flags, headers=vic).json() == []
    assert client.get(keys, headers=vic).json() == []
    assert client.get(f"/api/v1/services/{OTHER}/environments/dev/segments", headers=vic).json() == []

    assert client.post(flags, headers=power, json={"key": "owned"}).status_code == 201  # the owners may
    assert client.post(flags, headers=people["pm"].headers, json={"key": "product"}).status_code == 201
    platform = client.post(keys, headers=people["pia"].headers, json={"environment": "prod"})
    assert platform.status_code == 201  # the platform provisions client keys
    public_id = platform.json()["key"]["public_id"]
    assert client.post(f"/api/v1/client-keys/{public_id}/revoke", headers=flight).status_code == 403
    product_key = client.post(keys, headers=people["pm"].headers, json={"environment": "prod"})
    assert product_key.status_code == 403  # product changes flags, not client keys
    assert [k["revoked_at"] for k in client.get(keys, headers=vic).json()] == [None]
    changed = client.patch(f"{flags}/owned", headers=flight, json={"name": "mine now"})
    assert changed.status_code == 403
    assert client.post(f"{flags}/owned/archive", headers=flight).status_code == 403
    assert client.get(f"{flags}/owned", headers=vic).json()["name"] == "owned"


def test_only_entitled_people_approve_a_prod_flag_change(client: TestClient, runtime: Runtime) -> None:
    """The issue: a team-role user in no team approved a prod flag change; the requester must not either."""
    people = flight_control(runtime)
    change = _flag_on_in_prod(client, people)
    approve = f"/api/v1/flag-changes/{change}/approve"
    for who, reason in (
        ("tess", "may not approve"),  # the team role, no team
        ("flight", "may not approve"),  # another team
        ("pm", "another person must approve it"),  # the requester
    ):
        refused = client.post(approve, headers=people[who].headers, json={"note": "me"})
        assert refused.status_code == 403 and reason in refused.json()["detail"], (who, refused.text)
    rejected = client.post(f"/api/v1/flag-changes/{change}/reject", headers=people["tess"].headers)
    assert rejected.status_code == 403
    cancelled = client.post(f"/api/v1/flag-changes/{change}/cancel", headers=people["tess"].headers)
    assert cancelled.status_code == 403
    vic = people["vic"].headers
    assert client.get(f"/api/v1/flag-changes/{change}", headers=vic).json()["status"] == "pending"
    approved = client.post(approve, headers=people["power"].headers, json={"note": "owners agree"})
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    assert approved.json()["decided_by"] == "power"
    boost = client.get(f"/api/v1/services/{OTHER}/flags/boost", headers=vic).json()
    assert boost["environments"][2]["config"]["enabled"] is True


def test_the_environments_approver_group_may_approve(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    spec = EnvironmentSpec(name="prod", approval_roles=[Role.TEAM, Role.ADMIN], approvers=["team:flight-software"])
    with runtime.store.unit_of_work(actor_of(runtime, "power")) as uow:  # the owners name their approvers
        catalog.set_environment_policy(uow, OTHER, spec)
    change = _flag_on_in_prod(client, people)
    refused = client.post(f"/api/v1/flag-changes/{change}/approve", headers=people["tess"].headers)
    assert refused.status_code == 403 and "(team:flight-software)" in refused.json()["detail"]
    approved = client.post(f"/api/v1/flag-changes/{change}/approve", headers=people["flight"].headers)
    assert approved.status_code == 200 and approved.json()["status"] == "applied"
    assert approved.json()["decided_by"] == "flight"


def test_the_prod_kill_switch_is_for_owners_and_admin(client: TestClient, runtime: Runtime) -> None:
    """The issue: a team-role user in no team hit a prod kill switch."""
    people = flight_control(runtime)
    admin = make_user(runtime, "ada", Role.ADMIN)
    change = _flag_on_in_prod(client, people)
    assert client.post(f"/api/v1/flag-changes/{change}/approve", headers=people["power"].headers).status_code == 200
    kill = f"/api/v1/services/{OTHER}/flags/boost/environments/prod/kill"
    for who in ("tess", "flight", "pm", "pia"):  # no team; another team; product; platform
        refused = client.post(kill, headers=people[who].headers, json={"reason": "mine"})
        assert refused.status_code == 403, (who, refused.text)
    vic = people["vic"].headers
    flag = f"/api/v1/services/{OTHER}/flags/boost"
    assert client.get(flag, headers=vic).json()["environments"][2]["config"]["enabled"] is True
    killed = client.post(kill, headers=people["power"].headers, json={"reason": "overheating"})
    assert killed.status_code == 200 and killed.json()["status"] == "applied"
    assert client.get(flag, headers=vic).json()["environments"][2]["config"]["enabled"] is False
    audit = client.get("/api/v1/audit", headers=admin.headers, params={"actor": "power"}).json()["items"]
    kills = [e for e in audit if e["action"] == "flag.kill"]
    assert [(e["object_id"], e["after"]["environment"], e["after"]["reason"]) for e in kills] == [
        (f"{OTHER}/boost", "prod", "overheating")
    ]
    dev = client.post(f"{flag}/environments/dev/kill", headers=people["pm"].headers, json={"reason": "dev"})
    assert dev.status_code == 200  # where changes apply at once, the kill switch is a flag change like any
    assert client.post(kill, headers=admin.headers, json={"reason": "again"}).status_code == 200
