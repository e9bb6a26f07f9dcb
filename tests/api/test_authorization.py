"""Viewers change nothing; every state change lands in the audit log with its actor."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user


def test_viewer_cannot_change_anything(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "target", Role.TEAM)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    attempts = [
        ("POST", "/api/v1/users", {"username": "mallory", "role": "admin"}),
        ("PATCH", "/api/v1/users/target", {"role": "admin"}),
        ("POST", "/api/v1/tokens?user=target", {"name": "stolen"}),
        ("GET", "/api/v1/tokens?user=target", None),
        ("GET", "/api/v1/audit", None),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, headers=viewer.headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["type"] == "urn:digital-factory:problem:permission-denied"
    users = client.get("/api/v1/users", headers=viewer.headers).json()
    assert [u["username"] for u in users["items"]] == ["target", "vic"]
    assert all(u["role"] != "admin" for u in users["items"])


def test_state_changes_are_audited_with_their_actor(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    created = client.post(
        "/api/v1/users", headers=admin.headers, json={"username": "bob", "role": "team", "display_name": "Bob"}
    )
    assert created.status_code == 201
    assert created.json()["one_time_password"]
    changed = client.patch("/api/v1/users/bob", headers=admin.headers, json={"role": "product"})
    assert changed.json()["role"] == "product"

    entries = client.get("/api/v1/audit", headers=admin.headers, params={"actor": "ada"}).json()["items"]
    by_action = {e["action"]: e for e in entries}
    assert by_action["user.create"]["after"]["username"] == "bob"
    assert by_action["user.create"]["origin"] == "api"
    assert by_action["user.update"]["before"]["role"] == "team"
    assert by_action["user.update"]["after"]["role"] == "product"
    assert by_action["user.update"]["token_id"] is not None


def test_admin_cannot_demote_themselves(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    response = client.patch("/api/v1/users/ada", headers=admin.headers, json={"role": "viewer"})
    assert response.status_code == 409
    assert response.json()["rule"] == "self-demotion"
