"""Refused attempts leave a trace (issue 10): a refused change, a refused approval and a throttled sign-in
each leave one audit entry with outcome `refused` (who, what, why), and nothing else of the request."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import AuditEntry, AuditFilter, Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from tests.delivery.gitrepo import make_repo, wait_for, waiting
from tests.factories import MadeUser, actor_of, make_user
from tests.teams.helpers import drone_teams

PIPELINE = """\
version: 1
stages:
  - name: deploy-prod
    environment: prod
    steps:
      - name: go
        run: echo deployed
"""


def _entries(runtime: Runtime) -> list[AuditEntry]:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return list(accounts.list_audit_entries(uow, AuditFilter(), PageRequest(limit=200)).items)


def _new_since(runtime: Runtime, before: list[AuditEntry]) -> list[AuditEntry]:
    seen = {e.id for e in before}
    return [e for e in _entries(runtime) if e.id not in seen]


def _flight_control(runtime: Runtime, repository_url: str | None = None) -> dict[str, MadeUser]:
    """flight-control belongs to flight-software, whose member is fiona."""
    people = drone_teams(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="flight-control",
                name="Flight control",
                owner_team="flight-software",
                repository_url=repository_url,
                environments=[EnvironmentSpec(name="prod", approval_roles=[Role.TEAM])],
            ),
        )
    return people


def test_a_refused_secret_write_is_audited_and_stores_nothing(client: TestClient, runtime: Runtime) -> None:
    fiona = _flight_control(runtime)["fiona"]
    reader = make_user(runtime, "pat", Role.VIEWER)
    before = _entries(runtime)
    response = client.put(
        "/api/v1/services/flight-control/secrets/STOLEN", headers=reader.headers, json={"value": "exfiltrate-me-now"}
    )
    assert response.status_code == 403
    [entry] = _new_since(runtime, before)
    assert entry.outcome == "refused"
    assert entry.actor_name == "pat" and entry.origin == "api" and entry.token_id is not None
    assert entry.action == "PUT /services/{key}/secrets/{name}"
    assert entry.object_id == "/api/v1/services/flight-control/secrets/STOLEN"
    assert entry.detail == response.json()["detail"]
    assert "exfiltrate-me-now" not in entry.model_dump_json()
    listed = client.get("/api/v1/services/flight-control/secrets", headers=fiona.headers)
    assert listed.status_code == 200 and "STOLEN" not in [s["name"] for s in listed.json()]


def test_a_refused_approval_is_audited_and_approves_nothing(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": PIPELINE}, "Start (FEAT-1)")
    fiona = _flight_control(runtime, str(repo.bare))["fiona"]
    outsider = make_user(runtime, "tess", Role.VIEWER)
    run = client.post("/api/v1/services/flight-control/runs", headers=fiona.headers, json={})
    assert run.status_code in {200, 201}, run.text
    deployment = wait_for(runtime, run.json()["id"], waiting).stages[0].deployment_id
    before = _entries(runtime)
    refused = client.post(f"/api/v1/deployments/{deployment}/approve", headers=outsider.headers, json={"comment": "x"})
    assert refused.status_code == 403, refused.text
    [entry] = _new_since(runtime, before)
    assert (entry.outcome, entry.actor_name, entry.action) == (
        "refused",
        "tess",
        "POST /deployments/{deployment_id}/approve",
    )
    assert entry.detail == refused.json()["detail"]
    record = client.get(f"/api/v1/deployments/{deployment}", headers=fiona.headers).json()
    assert record["approvals"] == [] and record["status"] == "waiting" and record["approved_at"] is None, record


def test_a_throttled_sign_in_is_audited(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "team2", Role.TEAM)
    for _ in range(10):
        client.post("/login", data={"username": "team2", "password": "wrong"}, follow_redirects=False)
    before = _entries(runtime)
    throttled = client.post("/login", data={"username": " team2", "password": "wrong"}, follow_redirects=False)
    assert throttled.status_code == 429
    [entry] = _new_since(runtime, before)
    assert (entry.outcome, entry.action, entry.actor_name, entry.origin) == (
        "refused",
        "session.login",
        "anonymous",
        "web",
    )
    assert entry.detail is not None and "team2" in entry.detail and "throttled" in entry.detail
