"""Every /api/v1 resource refuses anonymous calls with 401 problem JSON; tokens are checked properly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, TokenCreate
from digital_factory.app.factory import Runtime, create_app
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import FixedClock
from tests.conftest import TEST_PUBLIC_URL
from tests.factories import make_user


def api_operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item]


def concrete(path: str) -> str:
    return path.replace("{username}", "someone").replace("{public_id}", "abcdefghijkl")


def test_every_resource_needs_a_token(client: TestClient) -> None:
    operations = api_operations(client)
    assert len(operations) >= 9
    for method, path in operations:
        response = client.request(method, "/api/v1" + concrete(path), json={} if method in {"POST", "PATCH"} else None)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 401 and body["title"] == "Authentication required"
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer dfat_short",
        "Bearer " + "dfat_" + "a" * 12 + "_" + "b" * 43 + "AAAAAAA",
    ],
)
def test_malformed_credentials_are_refused(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["type"] == "urn:digital-factory:problem:unauthenticated"


def test_valid_token_identifies_its_owner(client: TestClient, runtime: Runtime) -> None:
    product = make_user(runtime, "petra", Role.PRODUCT)
    body = client.get("/api/v1/me", headers=product.headers).json()
    assert body["user"]["username"] == "petra"
    assert "portfolio:write" in body["permissions"] and "accounts:admin" not in body["permissions"]


def test_revoked_token_stops_working(client: TestClient, runtime: Runtime) -> None:
    viewer = make_user(runtime, "vera")
    public_id = viewer.token.split("_")[1]
    assert client.get("/api/v1/me", headers=viewer.headers).status_code == 200
    assert client.delete(f"/api/v1/tokens/{public_id}", headers=viewer.headers).status_code == 200
    assert client.get("/api/v1/me", headers=viewer.headers).status_code == 401


def test_expired_token_is_refused(settings: object, runtime: Runtime) -> None:
    clock = FixedClock(runtime.store.clock.now())
    runtime.store.clock = clock
    user = make_user(runtime, "eve")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        short = accounts.create_token(uow, runtime.digester, "eve", TokenCreate(name="short", expires_in_days=1))
    with TestClient(create_app(runtime.settings, runtime=runtime), base_url=TEST_PUBLIC_URL) as client:
        headers = {"Authorization": f"Bearer {short.secret}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        clock.advance(timedelta(days=1, seconds=1))
        assert client.get("/api/v1/me", headers=headers).status_code == 401
        assert client.get("/api/v1/me", headers=user.headers).status_code == 200


def test_scoped_token_is_narrowed(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN, scopes=["read"])
    assert client.get("/api/v1/users", headers=admin.headers).status_code == 200
    response = client.post("/api/v1/users", headers=admin.headers, json={"username": "bob", "role": "viewer"})
    assert response.status_code == 403
    assert "accounts:admin" in response.json()["detail"]
