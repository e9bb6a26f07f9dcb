"""Deployment records, approvals under concurrency, deploy windows, rollback, incidents and rework, trace."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Conflict, PermissionDenied
from digital_factory.delivery import deployments
from digital_factory.delivery.schemas import DecisionRequest
from tests.delivery.gitrepo import GitRepo, finished, make_repo, wait_for, waiting
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, actor_of, make_user

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: package
        run: mkdir -p dist && echo "$FACTORY_VERSION" > dist/version.txt
        artifacts: [dist/]
  - name: deploy-dev
    environment: dev
    steps:
      - name: go
        run: echo "dev now runs $(cat dist/version.txt)"
  - name: deploy-prod
    environment: prod
    steps:
      - name: go
        run: echo "prod now runs $(cat dist/version.txt)"
"""


def _setup(runtime: Runtime, tmp_path: Path, owners: tuple[str, ...] = ("fiona", "pavel")) -> GitRepo:
    """drone-api, owned by a team of `owners`."""
    team = owning_team(runtime, *owners)
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": PIPELINE}, "Start (FEAT-1)")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="drone-api",
                name="Drone API",
                owner_team=team,
                repository_url=str(repo.bare),
                environments=[
                    EnvironmentSpec(name="dev"),
                    EnvironmentSpec(name="prod", approval_roles=[Role.TEAM, Role.PLATFORM]),
                ],
            ),
        )
    return repo


def _run_to_prod(client: TestClient, runtime: Runtime, who: MadeUser, approver: MadeUser) -> dict[str, object]:
    run = client.post("/api/v1/services/drone-api/runs", headers=who.headers, json={}).json()
    gated = wait_for(runtime, run["id"], waiting)
    prod = gated.stages[2].deployment_id
    approved = client.post(f"/api/v1/deployments/{prod}/approve", headers=approver.headers, json={"comment": "go"})
    assert approved.status_code == 200, approved.text
    done = wait_for(runtime, run["id"], finished)
    assert done.status == "passed", done.model_dump_json(indent=1)
    record: dict[str, object] = client.get(f"/api/v1/deployments/{prod}", headers=who.headers).json()
    return record


def test_two_approvals_are_counted_exactly_once_under_concurrency(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    fiona = make_user(runtime, "fiona", Role.TEAM)
    approvers = [make_user(runtime, f"approver{i}", Role.TEAM) for i in range(6)]
    _setup(runtime, tmp_path, owners=("fiona", *(a.username for a in approvers)))
    policy = client.put(
        "/api/v1/services/drone-api/environments/prod/delivery-policy",
        headers=platform.headers,
        json={"required_approvals": 2},
    )
    assert policy.status_code == 200 and policy.json()["required_approvals"] == 2
    run = client.post("/api/v1/services/drone-api/runs", headers=fiona.headers, json={}).json()
    gated = wait_for(runtime, run["id"], waiting)
    prod = gated.stages[2].deployment_id
    assert prod is not None
    actors = [actor_of(runtime, a.username) for a in approvers]

    def approve(index: int) -> str:
        try:
            with runtime.store.unit_of_work(actors[index]) as uow:
                deployments.approve(uow, prod, DecisionRequest(comment=f"ok from {index}"))
        except Conflict:
            return "conflict"
        return "approved"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(approve, range(6)))
    assert sorted(outcomes) == ["approved", "approved", "conflict", "conflict", "conflict", "conflict"]
    done = wait_for(runtime, run["id"], finished)
    assert done.status == "passed"
    record = client.get(f"/api/v1/deployments/{prod}", headers=fiona.headers).json()
    assert len(record["approvals"]) == 2 and record["status"] == "succeeded"
    audit = client.get(
        "/api/v1/audit", headers=make_user(runtime, "ada", Role.ADMIN).headers, params={"action": "deployment.approve"}
    )
    assert audit.json()["total"] == 2


def test_a_deploy_window_holds_an_approved_deployment(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    _setup(runtime, tmp_path)
    now = datetime.now(UTC)
    closed_day = (now.weekday() + 3) % 7  # a window on another weekday: closed now
    client.put(
        "/api/v1/services/drone-api/environments/prod/delivery-policy",
        headers=platform.headers,
        json={"required_approvals": 1, "windows": [{"days": [closed_day], "start": "00:00", "end": "24:00"}]},
    )
    bad = client.put(
        "/api/v1/services/drone-api/environments/prod/delivery-policy",
        headers=platform.headers,
        json={"windows": [{"days": [1], "start": "18:00", "end": "09:00"}]},
    )
    assert bad.status_code == 422
    run = client.post("/api/v1/services/drone-api/runs", headers=fiona.headers, json={}).json()
    prod = wait_for(runtime, run["id"], waiting).stages[2].deployment_id
    held = client.post(f"/api/v1/deployments/{prod}/approve", headers=pavel.headers, json={"comment": "fine"}).json()
    assert held["status"] == "waiting" and "deploy window" in held["gate_note"]
    client.put(
        "/api/v1/services/drone-api/environments/prod/delivery-policy",
        headers=platform.headers,
        json={"required_approvals": 1, "windows": [{"days": [now.weekday()], "start": "00:00", "end": "24:00"}]},
    )
    from digital_factory.delivery.runner import reap

    reap(runtime.store, runtime.delivery)  # the periodic job opens gates whose window opened
    assert wait_for(runtime, run["id"], finished).status == "passed"


def test_rollback_incidents_rework_and_traceability(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    repo = _setup(runtime, tmp_path)
    first = _run_to_prod(client, runtime, fiona, pavel)
    assert first["approvals"][0]["username"] == "pavel"  # type: ignore[index]
    assert first["work_items"] == ["FEAT-1"]

    repo.commit({"engine.txt": "v2"}, "Faster climb (FEAT-2)")
    repo.push()
    second = _run_to_prod(client, runtime, fiona, pavel)
    assert second["work_items"] == ["FEAT-2"]
    assert [c["subject"] for c in second["changes"]] == ["Faster climb (FEAT-2)"]  # type: ignore[attr-defined]

    incident = client.post(
        "/api/v1/incidents",
        headers=fiona.headers,
        json={"service": "drone-api", "environment": "prod", "title": "Drones drift", "severity": "sev1"},
    ).json()
    assert incident["key"].startswith("INC-")
    assert (incident["caused_by_deployment_id"], incident["cause_link"]) == (second["id"], "heuristic")

    rollback = client.post(
        "/api/v1/services/drone-api/environments/prod/rollback",
        headers=fiona.headers,
        json={"to_deployment": first["id"]},
    )
    assert rollback.status_code == 201, rollback.text
    assert rollback.json()["trigger"] == "rollback"
    gated = wait_for(runtime, rollback.json()["id"], waiting)
    assert [s.name for s in gated.stages] == ["deploy-prod"]
    restore = gated.stages[0].deployment_id
    client.post(f"/api/v1/deployments/{restore}/approve", headers=pavel.headers, json={"comment": "roll back"})
    done = wait_for(runtime, rollback.json()["id"], finished)
    assert done.status == "passed", done.model_dump_json(indent=1)
    log = client.get(f"/api/v1/runs/{done.id}/steps/{done.stages[0].steps[0].id}/log", headers=fiona.headers).json()
    assert f"prod now runs {first['version']}" in "".join(c["text"] for c in log["chunks"])

    restored = client.get(f"/api/v1/deployments/{restore}", headers=fiona.headers).json()
    assert restored["is_rollback"] and restored["is_rework"] and restored["version"] == first["version"]
    assert restored["incidents_restored"] == [incident["key"]]
    view = client.get("/api/v1/services/drone-api/delivery", headers=fiona.headers).json()
    prod_view = view["environments"][1]
    assert prod_view["current"]["id"] == restore and prod_view["open_incidents"][0]["key"] == incident["key"]

    resolved = client.post(
        f"/api/v1/incidents/{incident['key']}/resolve", headers=fiona.headers, json={"resolution": "rolled back"}
    ).json()
    assert resolved["status"] == "resolved" and resolved["restored_by_deployment_id"] == restore
    assert resolved["restore_link"] == "rollback"
    again = client.post(f"/api/v1/incidents/{incident['key']}/resolve", headers=fiona.headers, json={"resolution": "x"})
    assert again.status_code == 409

    # a fix that names the incident in its commit is rework and restores the next incident
    second_incident = client.post(
        "/api/v1/incidents",
        headers=fiona.headers,
        json={
            "service": "drone-api",
            "environment": "prod",
            "title": "Battery gauge wrong",
            "caused_by_deployment": restore,
            "detected_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        },
    ).json()
    assert second_incident["cause_link"] == "explicit"
    repo.commit({"gauge.txt": "fixed"}, f"Fix the gauge ({second_incident['key']}, FEAT-2)")
    repo.push()
    fix = _run_to_prod(client, runtime, fiona, pavel)
    assert fix["is_rework"] is True and fix["incidents_restored"] == [second_incident["key"]]

    trace = client.get("/api/v1/work-items/FEAT-2/changes", headers=fiona.headers).json()
    assert [t["change"]["subject"] for t in trace] == [
        "Faster climb (FEAT-2)",
        f"Fix the gauge ({second_incident['key']}, FEAT-2)",
    ]
    assert trace[0]["lead_time_seconds"] > 0
    assert {d["environment"] for d in trace[0]["deployments"]} == {"dev", "prod"}


def test_only_named_roles_may_decide_and_never_on_their_own_run(runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "fiona", Role.TEAM)
    make_user(runtime, "paul", Role.PRODUCT)
    make_user(runtime, "pia", Role.PLATFORM)
    _setup(runtime, tmp_path, owners=("fiona",))
    from digital_factory.delivery import service as delivery
    from digital_factory.delivery.schemas import RunRequest

    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        run = delivery.start_run(uow, runtime.delivery, "drone-api", RunRequest())
    prod = wait_for(runtime, run.id, waiting).stages[2].deployment_id
    assert prod is not None
    for username, error in (("paul", PermissionDenied), ("pia", PermissionDenied)):
        try:
            with runtime.store.unit_of_work(actor_of(runtime, username)) as uow:
                deployments.approve(uow, prod, DecisionRequest(comment="me"))
        except error:
            continue
        raise AssertionError(f"{username} could approve")
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        rejected = deployments.reject(uow, prod, DecisionRequest(comment="not this week"))
    assert rejected.status == "rejected"
    done = wait_for(runtime, run.id, finished)
    assert done.status == "cancelled" and "rejected by fiona" in (done.error or "")
