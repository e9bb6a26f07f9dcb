"""Bad input gets a 4xx problem JSON naming the problem, never a 500, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import MadeUser, make_user


def _admin(runtime: Runtime) -> MadeUser:
    return make_user(runtime, "ada", Role.ADMIN)


def _usernames(client: TestClient, admin: MadeUser) -> list[str]:
    return [u["username"] for u in client.get("/api/v1/users", headers=admin.headers).json()["items"]]


def test_malformed_json(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post(
        "/api/v1/users",
        headers={**admin.headers, "Content-Type": "application/json"},
        content=b'{"username": "bob", "role": ',
    )
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Malformed JSON" and "not valid JSON" in body["detail"]
    assert _usernames(client, admin) == ["ada"]


def test_wrong_type_is_not_coerced(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/tokens", headers=admin.headers, json={"name": "x", "expires_in_days": "30"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.expires_in_days"}


def test_unknown_field_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post(
        "/api/v1/users", headers=admin.headers, json={"username": "bob", "role": "viewer", "is_superuser": True}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [{"field": "body.is_superuser", "reason": "Extra inputs are not permitted"}]
    assert _usernames(client, admin) == ["ada"]


def test_invalid_enum_and_pattern_name_their_fields(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/users", headers=admin.headers, json={"username": "Bad Name!", "role": "king"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body.username", "body.role"}


def test_over_limit_body_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    huge = {"username": "bob", "role": "viewer", "display_name": "x" * (runtime.settings.max_body_bytes + 10)}
    response = client.post("/api/v1/users", headers=admin.headers, json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "exceeds the limit" in response.json()["detail"]
    assert _usernames(client, admin) == ["ada"]


def test_streamed_body_over_limit_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    chunk = b"x" * 65536

    def stream() -> Iterator[bytes]:
        for _ in range(runtime.settings.max_body_bytes // len(chunk) + 2):
            yield chunk

    response = client.post(
        "/api/v1/users", headers={**admin.headers, "Content-Type": "application/json"}, content=stream()
    )
    assert response.status_code == 413


def test_duplicate_is_a_conflict(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/users", headers=admin.headers, json={"username": "ada", "role": "viewer"})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_unknown_route_and_object(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    assert client.get("/api/v1/users/nobody", headers=admin.headers).json()["status"] == 404
    missing = client.get("/api/v1/nothing-here", headers=admin.headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_bad_paging_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.get("/api/v1/users", headers=admin.headers, params={"limit": 5000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"
