"""Issue 10's failures, repeated and refused: a change to what a team owns needs membership of that team, and
a prod approval needs an entitled second person (docs/accounts.md, "Ownership")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import PermissionDenied
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import RepositoryCreate
from tests.delivery.gitrepo import finished, make_repo, wait_for, waiting
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, actor_of, make_user

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: package
        run: echo built
  - name: deploy-prod
    environment: prod
    steps:
      - name: go
        run: echo "prod now runs $FACTORY_VERSION"
"""
SLOW = PIPELINE.replace("run: echo built", "run: echo building; sleep 120")


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    people: dict[str, MadeUser]

    def as_(self, who: str) -> dict[str, str]:
        return self.people[who].headers


@pytest.fixture
def world(client: TestClient, runtime: Runtime, tmp_path: Path) -> World:
    """flight-control belongs to flight-software (flight, fred), engine-control to engines (ernie); pavel is in
    power-systems, gina in ground-ops; tess has the team role and no team; pia is platform, ada admin."""
    people = {
        name: make_user(runtime, name, role)
        for name, role in (
            ("flight", Role.TEAM),
            ("fred", Role.TEAM),
            ("ernie", Role.TEAM),
            ("pavel", Role.TEAM),
            ("gina", Role.TEAM),
            ("tess", Role.TEAM),
            ("pia", Role.PLATFORM),
            ("ada", Role.ADMIN),
        )
    }
    owning_team(runtime, "flight", "fred", key="flight-software")
    owning_team(runtime, "ernie", key="engines")
    owning_team(runtime, "pavel", key="power-systems")
    owning_team(runtime, "gina", key="ground-ops")
    for key, team, pipeline in (("flight-control", "flight-software", PIPELINE), ("engine-control", "engines", SLOW)):
        repo = make_repo(tmp_path / key, {".factory/pipeline.yml": pipeline})
        body = {
            "key": key,
            "name": key,
            "owner_team": team,
            "repository_url": str(repo.bare),
            "environments": [{"name": "prod", "approval_roles": ["team", "admin"]}],
        }
        created = client.post("/api/v1/services", headers=people["pia"].headers, json=body)
        assert created.status_code == 201, created.text
    return World(client, runtime, people)


def _secrets(world: World, service: str) -> list[str]:
    listed = world.client.get(f"/api/v1/services/{service}/secrets", headers=world.as_("ada"))
    return [s["name"] for s in listed.json()]


def test_another_team_and_a_role_without_a_team_cannot_touch_a_services_secrets(world: World) -> None:
    url = "/api/v1/services/engine-control/secrets"
    for outsider in ("flight", "tess", "pia"):
        stolen = world.client.put(f"{url}/STOLEN", headers=world.as_(outsider), json={"value": "exfiltrated-value"})
        assert stolen.status_code == 403, stolen.text
        assert stolen.json()["detail"].startswith(f"{outsider} may not change the secrets of engine-control")
        assert "members of the team engines" in stolen.json()["detail"]
    assert _secrets(world, "engine-control") == []

    owned = world.client.put(f"{url}/DEPLOY_TOKEN", headers=world.as_("ernie"), json={"value": "engines-own-token"})
    assert owned.status_code == 200, owned.text
    for outsider in ("flight", "tess"):
        assert world.client.delete(f"{url}/DEPLOY_TOKEN", headers=world.as_(outsider)).status_code == 403
    assert _secrets(world, "engine-control") == ["DEPLOY_TOKEN"]
    assert world.client.delete(f"{url}/DEPLOY_TOKEN", headers=world.as_("ernie")).status_code == 204
    assert _secrets(world, "engine-control") == []


def _gated_prod(world: World, service: str, who: str) -> int:
    run = world.client.post(f"/api/v1/services/{service}/runs", headers=world.as_(who), json={})
    assert run.status_code == 201, run.text
    prod = wait_for(world.runtime, run.json()["id"], waiting).stages[1].deployment_id
    assert prod is not None
    return prod


def _approve(world: World, deployment: int, who: str) -> tuple[int, str]:
    answer = world.client.post(
        f"/api/v1/deployments/{deployment}/approve", headers=world.as_(who), json={"comment": "ship it"}
    )
    return answer.status_code, answer.json().get("detail", answer.json().get("status", ""))


def test_only_an_entitled_second_person_approves_a_prod_deployment(world: World) -> None:
    prod = _gated_prod(world, "flight-control", "flight")
    for outsider in ("pavel", "tess", "gina"):
        code, reason = _approve(world, prod, outsider)
        assert code == 403, reason
        assert reason.startswith(f"{outsider} may not approve deployment {prod} of flight-control to prod")
        assert "members of the service's owning team other than the requester" in reason
    code, reason = _approve(world, prod, "flight")
    assert (code, "triggered" in reason) == (403, True)
    rejected = world.client.post(
        f"/api/v1/deployments/{prod}/reject", headers=world.as_("tess"), json={"comment": "no"}
    )
    assert rejected.status_code == 403
    record = world.client.get(f"/api/v1/deployments/{prod}", headers=world.as_("tess")).json()
    assert (record["status"], record["approvals"]) == ("waiting", [])

    assert _approve(world, prod, "fred")[0] == 200  # the owning team's other member
    assert wait_for(world.runtime, prod_run(world, prod), finished).status == "passed"
    record = world.client.get(f"/api/v1/deployments/{prod}", headers=world.as_("tess")).json()
    assert record["status"] == "succeeded"
    assert [(a["username"], a["decision"]) for a in record["approvals"]] == [("fred", "approved")]


def test_the_approver_group_entitles_whom_the_owners_name(world: World) -> None:
    url = "/api/v1/services/flight-control/environments/prod"
    policy = {"approval_roles": ["team", "admin"], "approvers": ["team:ground-ops"]}
    refused = world.client.put(url, headers=world.as_("pavel"), json=policy)
    assert refused.status_code == 403 and "members of the team flight-software" in refused.json()["detail"]
    typo = world.client.put(url, headers=world.as_("flight"), json={**policy, "approvers": ["team:ground-opps"]})
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "approvers"
    named = world.client.put(url, headers=world.as_("flight"), json=policy)
    assert named.status_code == 200, named.text
    assert named.json()["approvers"] == ["team:ground-ops"]
    listed = world.client.get("/api/v1/services/flight-control/environments", headers=world.as_("tess")).json()
    assert [(e["name"], e["approvers"]) for e in listed] == [("prod", ["team:ground-ops"])]

    prod = _gated_prod(world, "flight-control", "flight")
    assert _approve(world, prod, "pavel")[0] == 403  # power-systems is not in the group
    assert _approve(world, prod, "gina")[0] == 200
    done = wait_for(world.runtime, prod_run(world, prod), finished)
    assert done.status == "passed"


def prod_run(world: World, deployment: int) -> int:
    run_id: int = world.client.get(f"/api/v1/deployments/{deployment}", headers=world.as_("ada")).json()["run_id"]
    return run_id


def test_runs_are_started_cancelled_and_retried_by_their_owners(world: World) -> None:
    for outsider in ("flight", "tess"):
        started = world.client.post("/api/v1/services/engine-control/runs", headers=world.as_(outsider), json={})
        assert started.status_code == 403 and "pipeline runs of engine-control" in started.json()["detail"]
    run = world.client.post("/api/v1/services/engine-control/runs", headers=world.as_("ernie"), json={}).json()
    wait_for(world.runtime, run["id"], lambda r: r.stages[0].steps[0].status == "running")
    for outsider in ("flight", "tess"):
        assert world.client.post(f"/api/v1/runs/{run['id']}/cancel", headers=world.as_(outsider)).status_code == 403
    assert world.client.get(f"/api/v1/runs/{run['id']}", headers=world.as_("tess")).json()["status"] == "running"
    cancelled = world.client.post(f"/api/v1/runs/{run['id']}/cancel", headers=world.as_("ernie"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    step = wait_for(world.runtime, run["id"], lambda r: r.stages[0].steps[0].status.finished).stages[0].steps[0]
    retry = f"/api/v1/runs/{run['id']}/steps/{step.id}/retry"
    assert world.client.post(retry, headers=world.as_("tess")).status_code == 403
    assert world.client.post(retry, headers=world.as_("pia")).status_code == 200  # the platform role may
    world.client.post(f"/api/v1/runs/{run['id']}/cancel", headers=world.as_("pia"))


def test_incidents_and_rollbacks_belong_to_the_owning_team(world: World) -> None:
    incident = {"service": "engine-control", "environment": "prod", "title": "Thrust drops"}
    assert world.client.post("/api/v1/incidents", headers=world.as_("flight"), json=incident).status_code == 403
    assert world.client.post("/api/v1/incidents", headers=world.as_("tess"), json=incident).status_code == 403
    opened = world.client.post("/api/v1/incidents", headers=world.as_("ernie"), json=incident)
    assert opened.status_code == 201, opened.text
    resolve = f"/api/v1/incidents/{opened.json()['key']}/resolve"
    assert world.client.post(resolve, headers=world.as_("flight"), json={"resolution": "x"}).status_code == 403
    rollback = world.client.post(
        "/api/v1/services/engine-control/environments/prod/rollback",
        headers=world.as_("flight"),
        json={"to_deployment": 1},
    )
    assert rollback.status_code == 403 and "deployments of engine-control" in rollback.json()["detail"]
    assert world.client.post(resolve, headers=world.as_("ernie"), json={"resolution": "fixed"}).status_code == 200


def test_catalog_changes_need_the_owning_team_or_the_platform(world: World) -> None:
    service = "/api/v1/services/engine-control"
    changes = [
        ("patch", service, {"description": "hijacked"}),
        ("post", f"{service}/dependencies", {"on": "flight-control"}),
        ("post", f"{service}/work", {"key": "FEAT-1"}),
        ("post", f"{service}/ingestion-keys", {"name": "mine"}),
        ("put", f"{service}/environments/prod/delivery-policy", {"required_approvals": 1}),
        ("put", f"{service}/environments/prod", {"approval_roles": [], "approvers": []}),
    ]
    for method, url, body in changes:
        for outsider in ("flight", "tess"):
            refused = world.client.request(method.upper(), url, headers=world.as_(outsider), json=body)
            assert refused.status_code == 403, (method, url, outsider, refused.text)
    after = world.client.get(service, headers=world.as_("tess")).json()
    assert after["description"] == "" and after["serves"] == []
    assert after["environments"][0]["approval_roles"] == ["team", "admin"]
    assert world.client.patch(service, headers=world.as_("ernie"), json={"description": "Thrust"}).status_code == 200
    depends = world.client.post(f"{service}/dependencies", headers=world.as_("pia"), json={"on": "flight-control"})
    assert depends.status_code == 201


def test_pushing_to_a_hosted_repository_needs_its_owning_team(world: World) -> None:
    runtime = world.runtime
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        repos.create_repository(
            uow,
            runtime.repo_host,
            RepositoryCreate(key="engine-control", owner_team="engines", service_key="engine-control"),
        )
    answers = {}
    for who in ("ernie", "flight", "tess", "pia", "ada"):
        with runtime.store.unit_of_work(actor_of(runtime, who), write=False) as uow:
            answers[who] = repos.can_push(uow, "engine-control")
    assert answers == {"ernie": True, "flight": False, "tess": False, "pia": True, "ada": True}
    with (
        runtime.store.unit_of_work(actor_of(runtime, "tess"), write=False) as uow,
        pytest.raises(PermissionDenied, match="tess may not change the repository engine-control"),
    ):
        repos.authorize_push(uow, "engine-control")
