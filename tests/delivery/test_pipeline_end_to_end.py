"""The golden-path pipeline (build, test with pytest, deploy dev/staging/prod) runs for real on a push."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter
from tests.delivery.gitrepo import PROJECT_FILES, TEMPLATE_PIPELINE, make_repo, publish_push, wait_for, waiting
from tests.delivery.owners import owning_team
from tests.factories import make_user


def _service(client: TestClient, platform_headers: dict[str, str], key: str, repository: Path, team: str) -> None:
    created = client.post(
        "/api/v1/services",
        headers=platform_headers,
        json={"key": key, "name": "Flight control", "repository_url": str(repository), "owner_team": team},
    )
    assert created.status_code == 201, created.text


def test_push_runs_the_template_pipeline_and_prod_waits_for_another_approver(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    platform = make_user(runtime, "pia", Role.PLATFORM)
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    repo = make_repo(tmp_path, {**PROJECT_FILES, ".factory/pipeline.yml": TEMPLATE_PIPELINE}, "Scaffold")
    _service(client, platform.headers, "flight-control", repo.bare, owning_team(runtime, "fiona", "pavel"))

    repo.commit({"README.md": "Altitude hold\n"}, "Add altitude hold (FEAT-12)")
    publish_push(runtime, repo, "flight-control", pusher="fiona")
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service="flight-control"), PageRequest())
    assert runs.total == 1
    run = wait_for(runtime, runs.items[0].id, waiting)
    assert run.status == "waiting", run.error
    assert run.triggered_by == "fiona" and run.trigger == "push"
    stages = {s.name: s for s in run.stages}
    assert [s.status for s in run.stages] == ["passed", "passed", "passed", "passed", "waiting"]
    assert stages["test"].steps[0].exit_code == 0
    log = client.get(f"/api/v1/runs/{run.id}/steps/{stages['test'].steps[0].id}/log", headers=viewer.headers).json()
    assert "2 passed" in "".join(c["text"] for c in log["chunks"])
    deploy_log = client.get(
        f"/api/v1/runs/{run.id}/steps/{stages['deploy-staging'].steps[0].id}/log", headers=viewer.headers
    ).json()
    assert f"deployed {run.version} to staging" in "".join(c["text"] for c in deploy_log["chunks"])

    prod = stages["deploy-prod"].deployment_id
    assert prod is not None
    waiting_prod = client.get(f"/api/v1/deployments/{prod}", headers=viewer.headers).json()
    assert waiting_prod["status"] == "waiting" and waiting_prod["approval_roles"] == ["team", "admin"]
    assert waiting_prod["work_items"] == ["FEAT-12"]

    self_approval = client.post(
        f"/api/v1/deployments/{prod}/approve", headers=fiona.headers, json={"comment": "looks good to me"}
    )
    assert self_approval.status_code == 403, self_approval.text
    assert "triggered" in self_approval.json()["detail"]
    no_role = client.post(f"/api/v1/deployments/{prod}/approve", headers=viewer.headers, json={"comment": "ok"})
    assert no_role.status_code == 403
    no_comment = client.post(f"/api/v1/deployments/{prod}/approve", headers=pavel.headers, json={"comment": ""})
    assert no_comment.status_code == 422

    approved = client.post(
        f"/api/v1/deployments/{prod}/approve", headers=pavel.headers, json={"comment": "Staging verified"}
    )
    assert approved.status_code == 200, approved.text
    run = wait_for(runtime, run.id, lambda r: r.status.finished)
    assert run.status == "passed", run.model_dump_json(indent=1)
    record = client.get(f"/api/v1/deployments/{prod}", headers=viewer.headers).json()
    assert record["status"] == "succeeded"
    assert [(a["username"], a["decision"], a["comment"]) for a in record["approvals"]] == [
        ("pavel", "approved", "Staging verified")
    ]
    assert record["is_production"] is True
    assert {c["subject"] for c in record["changes"]} == {"Scaffold", "Add altitude hold (FEAT-12)"}
    second = client.post(f"/api/v1/deployments/{prod}/approve", headers=pavel.headers, json={"comment": "again"})
    assert second.status_code == 409
