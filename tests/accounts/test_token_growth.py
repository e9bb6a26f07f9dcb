"""Tokens cannot grow (issue 10): a token makes only tokens within its own scopes and lifetime, only an
admin-scoped token manages tokens through the API at all, and a read-scoped token changes nothing."""

from __future__ import annotations

from datetime import datetime

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, TokenCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from tests.factories import make_user


def _tokens_of(runtime: Runtime, username: str) -> list[str]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return [t.public_id for t in accounts.list_tokens(uow, username) if t.revoked_at is None]


def _second_token(runtime: Runtime, username: str, **data: object) -> str:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        made = accounts.create_token(uow, runtime.digester, username, TokenCreate(name="second", **data))  # type: ignore[arg-type]
    return made.token.public_id


def test_a_read_scoped_admin_token_cannot_mint_a_token(client: TestClient, runtime: Runtime) -> None:
    reader = make_user(runtime, "ada", Role.ADMIN, scopes=["read"])
    before = _tokens_of(runtime, "ada")
    response = client.post("/api/v1/tokens", json={"name": "escalate"}, headers=reader.headers)
    assert response.status_code == 403, response.text
    assert "accounts:admin" in response.json()["detail"]
    assert _tokens_of(runtime, "ada") == before


def test_a_read_scoped_admin_token_cannot_create_a_user(client: TestClient, runtime: Runtime) -> None:
    reader = make_user(runtime, "ada", Role.ADMIN, scopes=["read"])
    response = client.post("/api/v1/users", json={"username": "mallory", "role": "admin"}, headers=reader.headers)
    assert response.status_code == 403
    assert client.get("/api/v1/users/mallory", headers=reader.headers).status_code == 404


def test_a_read_scoped_token_cannot_revoke_a_sibling(client: TestClient, runtime: Runtime) -> None:
    reader = make_user(runtime, "ada", Role.ADMIN, scopes=["read"])
    sibling = _second_token(runtime, "ada")
    response = client.delete(f"/api/v1/tokens/{sibling}", headers=reader.headers)
    assert response.status_code == 403
    assert sibling in _tokens_of(runtime, "ada")


def test_a_token_may_revoke_itself(client: TestClient, runtime: Runtime) -> None:
    reader = make_user(runtime, "ada", Role.ADMIN, scopes=["read"])
    own = reader.token.split("_")[1]
    assert client.delete(f"/api/v1/tokens/{own}", headers=reader.headers).status_code == 200
    assert client.get("/api/v1/me", headers=reader.headers).status_code == 401


def test_a_non_admin_manages_tokens_in_the_web_not_the_api(client: TestClient, runtime: Runtime) -> None:
    team = make_user(runtime, "tom", Role.TEAM)
    assert client.post("/api/v1/tokens", json={"name": "more"}, headers=team.headers).status_code == 403
    assert len(_tokens_of(runtime, "tom")) == 1


def test_an_admin_scoped_token_makes_only_narrower_tokens(client: TestClient, runtime: Runtime) -> None:
    narrow = make_user(runtime, "ada", Role.ADMIN, scopes=["read", "accounts:admin"])
    wider = client.post(
        "/api/v1/tokens", json={"name": "wider", "scopes": ["read", "delivery:write"]}, headers=narrow.headers
    )
    assert wider.status_code == 403 and "delivery:write" in wider.json()["detail"]
    inherited = client.post("/api/v1/tokens", json={"name": "same"}, headers=narrow.headers)
    assert inherited.status_code == 201, inherited.text
    assert inherited.json()["token"]["scopes"] == ["accounts:admin", "read"]
    child = {"Authorization": f"Bearer {inherited.json()['secret']}"}
    assert sorted(client.get("/api/v1/me", headers=child).json()["permissions"]) == ["accounts:admin", "read"]
    # and the child cannot make a user an admin (it holds no more than its parent: no delivery, no platform)
    smaller = client.post("/api/v1/tokens", json={"name": "smaller", "scopes": ["read"]}, headers=child)
    assert smaller.status_code == 201 and smaller.json()["token"]["scopes"] == ["read"]


def test_a_token_cannot_outlive_its_maker(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        short = accounts.create_token(uow, runtime.digester, "ada", TokenCreate(name="short", expires_in_days=3))
    headers = {"Authorization": f"Bearer {short.secret}"}
    longer = client.post("/api/v1/tokens", json={"name": "long", "expires_in_days": 30}, headers=headers)
    assert longer.status_code == 403 and "outlive" in longer.json()["detail"]
    defaulted = client.post("/api/v1/tokens", json={"name": "default"}, headers=headers)
    assert defaulted.status_code == 201
    expires = datetime.fromisoformat(defaulted.json()["token"]["expires_at"])
    assert expires == short.token.expires_at
    # an unscoped admin token still makes tokens for others within its own lifetime
    for_other = client.post("/api/v1/tokens?user=ada", json={"name": "x", "expires_in_days": 2}, headers=admin.headers)
    assert for_other.status_code == 201
