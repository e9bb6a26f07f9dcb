"""Schema-driven fuzzing of every API operation, as a viewer and as an admin: whatever is sent, the API never
answers 5xx, and every error is problem JSON.

Path parameters are often replaced by the keys of objects the product made (a team, a service with its
environments, an epic, a feature, a flag), so requests reach real rows and the code behind the lookups, not
only the 404 of an unknown key."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import MadeUser, made_by_the_product, make_user

# Examples per operation and role; FACTORY_FUZZ_EXAMPLES=200 explores further with fresh randomness.
EXPLORE = int(os.environ.get("FACTORY_FUZZ_EXAMPLES", "0"))
EXAMPLES = EXPLORE or 4

# Real objects, by path parameter (and, for `key`, by the collection the path starts with).
REAL_KEYS = {"services": "engine-control", "repositories": "engine-control", "epics": "EPIC-1"}
REAL_KEYS |= {"features": "FEAT-1", "teams": "flight-software", "work-items": "FEAT-1"}
REAL_PARAMETERS = {
    "service": "engine-control",
    "environment": "dev",
    "flag": "heavy-lift-mode",
    "team": "flight-software",
    "username": "vic",  # never the admin's own name: a fuzzed PATCH could lock the admin out
    "item_key": "FEAT-1",
    "on": "engine-control",
    "run_id": "1",
    "step_id": "1",
    "deployment_id": "1",
    "interaction_id": "1",
}


def _real(path: str, parameters: dict[str, Any]) -> dict[str, Any]:
    collection = path.strip("/").split("/")[0]
    real = {name: REAL_PARAMETERS[name] for name in parameters if name in REAL_PARAMETERS}
    if "key" in parameters and collection in REAL_KEYS:
        real["key"] = REAL_KEYS[collection]
    return {**parameters, **real}


def _operations(client: TestClient) -> list[Any]:
    spec = client.get("/api/v1/openapi.json").json()
    spec["servers"] = [{"url": "/api/v1"}]
    schema = schemathesis.openapi.from_dict(spec)
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def _exercise(client: TestClient, operation: Any, who: MadeUser, failures: list[str]) -> None:
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=not EXPLORE,  # reproducible in CI
    )
    @given(case=cases, use_real_objects=st.booleans())
    def exercise(case: schemathesis.Case[Any], use_real_objects: bool) -> None:
        if use_real_objects and case.path_parameters:
            case.path_parameters = _real(case.path, case.path_parameters)
        url = "/api/v1" + case.formatted_path
        body: Any = case.body if isinstance(case.body, (dict, list)) else None
        headers = {**dict(case.headers or {}), **who.headers}
        response = client.request(case.method, url, headers=headers, params=case.query, json=body)
        where = f"{who.role.value} {case.method} {url}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400 and response.headers.get("content-type") != "application/problem+json":
            failures.append(f"{where}: {response.status_code} {response.headers.get('content-type')}")

    exercise()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ADMIN])
def test_no_operation_answers_a_server_error(client: TestClient, runtime: Runtime, role: Role) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    make_user(runtime, "vic", Role.VIEWER)
    made_by_the_product(client, runtime, admin)
    who = admin if role is Role.ADMIN else make_user(runtime, "val", Role.VIEWER)
    operations = _operations(client)
    assert len(operations) >= 150
    failures: list[str] = []
    for operation in operations:
        _exercise(client, operation, who, failures)
    assert not failures, "\n".join(failures)
