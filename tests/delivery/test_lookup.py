"""Ids beyond what an id column holds are simply not found (PostgreSQL would refuse the query itself)."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user

TOO_BIG = 2**31


def test_out_of_range_ids_are_not_found(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    for method, path, body in [
        ("GET", f"/api/v1/runs/{TOO_BIG}", None),
        ("GET", f"/api/v1/runs/1/steps/{TOO_BIG}/log", None),
        ("GET", f"/api/v1/deployments/{TOO_BIG}", None),
        ("POST", f"/api/v1/deployments/{TOO_BIG}/approve", {"comment": "ok"}),
    ]:
        response = client.request(method, path, headers=admin.headers, json=body)
        assert response.status_code == 404, (path, response.text)
