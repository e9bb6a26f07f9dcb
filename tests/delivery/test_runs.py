"""Runs through the API: invalid pipeline files, secrets masked everywhere, cancel, retry, logs."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from tests.delivery.gitrepo import GitRepo, finished, make_repo, publish_push, wait_for
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, make_user
from tests.processes import eventually

INVALID = """\
version: 1
stages:
  - name: build
    steps:
      - name: compile
        run: make
        timout: 5m
      - name: compile
        run: make again
  - name: ship
    environment: moon
    steps:
      - name: go
        run: 42
"""


def _setup(
    runtime: Runtime, tmp_path: Path, pipeline: str, *, key: str = "drone-api", owners: tuple[str, ...] = ("fiona",)
) -> GitRepo:
    """The service `key`, owned by a team of `owners`."""
    team = owning_team(runtime, *owners)
    repo = make_repo(tmp_path / key, {".factory/pipeline.yml": pipeline, "README.md": "drone api\n"})
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key=key,
                name=key,
                owner_team=team,
                repository_url=str(repo.bare),
                environments=[EnvironmentSpec(name="dev"), EnvironmentSpec(name="prod", approval_roles=[Role.TEAM])],
            ),
        )
    return repo


def _start(client: TestClient, user: MadeUser, key: str = "drone-api", **body: str) -> dict[str, object]:
    response = client.post(f"/api/v1/services/{key}/runs", headers=user.headers, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_an_invalid_pipeline_lists_every_problem_with_its_line_and_runs_nothing(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    repo = _setup(runtime, tmp_path, INVALID)
    linted = client.post("/api/v1/pipelines/lint", headers=fiona.headers, json={"content": INVALID}).json()
    assert linted["valid"] is False
    assert [(p["line"], p["message"].split(" ")[0]) for p in linted["problems"]] == [
        (7, "unknown"),
        (8, "duplicate"),
        (14, "42"),
    ]
    refused = client.post("/api/v1/services/drone-api/runs", headers=fiona.headers, json={})
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == [".factory/pipeline.yml:7", ".factory/pipeline.yml:8", ".factory/pipeline.yml:14"]
    assert client.get("/api/v1/runs", headers=fiona.headers).json()["total"] == 0

    # the same file arriving by push: a failed run that says why, and no step ran
    repo.commit({"x.txt": "x"}, "Touch")
    publish_push(runtime, repo, "drone-api", pusher="fiona")
    runs = client.get("/api/v1/runs", headers=fiona.headers).json()["items"]
    assert len(runs) == 1 and runs[0]["status"] == "failed"
    assert ".factory/pipeline.yml:7" in runs[0]["error"] and ".factory/pipeline.yml:14" in runs[0]["error"]
    assert client.get(f"/api/v1/runs/{runs[0]['id']}", headers=fiona.headers).json()["stages"] == []

    environment_only = INVALID.replace("timout", "timeout").replace(
        "      - name: compile\n        run: make again\n", ""
    )
    environment_only = environment_only.replace("run: 42", "run: echo go")
    problems = client.post(
        "/api/v1/pipelines/lint", headers=fiona.headers, json={"content": environment_only, "service": "drone-api"}
    ).json()["problems"]
    assert problems == [
        {
            "line": 9,
            "path": "stages[1].environment",
            "message": "'drone-api' has no environment 'moon' (it has: dev, prod)",
        }
    ]


SECRET_VALUE = "hunter2-Very-Secret-Token-42"
SECRET_PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: leak
        secrets: [DEPLOY_TOKEN]
        run: |
          echo "raw: $DEPLOY_TOKEN"
          printf '%s' "$DEPLOY_TOKEN" | base64
          printf 'split: %s' "${DEPLOY_TOKEN%????????????????}"; sleep 0.4
          printf '%s\\n' "${DEPLOY_TOKEN#????????????}"
          echo "to stderr: $DEPLOY_TOKEN" >&2
          exit 3
"""


def test_a_step_that_prints_a_secret_shows_it_masked_everywhere(
    client: TestClient, runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fiona = make_user(runtime, "fiona", Role.TEAM)
    auditor = make_user(runtime, "ada", Role.ADMIN)
    _setup(runtime, tmp_path, SECRET_PIPELINE)
    stored = client.put(
        "/api/v1/services/drone-api/secrets/DEPLOY_TOKEN", headers=fiona.headers, json={"value": SECRET_VALUE}
    )
    assert stored.status_code == 200 and SECRET_VALUE not in stored.text
    too_short = client.put("/api/v1/services/drone-api/secrets/PIN", headers=fiona.headers, json={"value": "1234"})
    assert too_short.status_code == 422
    listed = client.get("/api/v1/services/drone-api/secrets", headers=fiona.headers)
    assert listed.json()[0]["name"] == "DEPLOY_TOKEN" and SECRET_VALUE not in listed.text

    run = _start(client, fiona)
    done = wait_for(runtime, int(str(run["id"])), finished)
    step = done.stages[0].steps[0]
    assert step.status == "failed" and step.exit_code == 3
    log = client.get(f"/api/v1/runs/{done.id}/steps/{step.id}/log", headers=fiona.headers)
    text = "".join(c["text"] for c in log.json()["chunks"])
    assert "raw: ***" in text and "to stderr: ***" in text and "split: ***" in text
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    everything = [
        log.text,
        client.get(f"/api/v1/runs/{done.id}", headers=fiona.headers).text,
        client.get("/api/v1/audit", headers=auditor.headers, params={"limit": 200}).text,
        caplog.text,
    ]
    for channel in everything:
        assert SECRET_VALUE not in channel and encoded[:20] not in channel
        assert SECRET_VALUE[:12] not in channel


def test_cancel_kills_a_running_step_and_retry_resumes_the_run(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pipeline = """\
version: 1
stages:
  - name: build
    steps:
      - name: slow
        run: echo going; sleep 120
  - name: deploy
    environment: dev
    steps:
      - name: go
        run: echo deployed
"""
    _setup(runtime, tmp_path, pipeline)
    run = _start(client, fiona)
    run_id = int(str(run["id"]))
    wait_for(runtime, run_id, lambda r: r.stages[0].steps[0].status == "running")
    cancelled = client.post(f"/api/v1/runs/{run_id}/cancel", headers=fiona.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    done = wait_for(runtime, run_id, lambda r: r.stages[0].steps[0].status == "cancelled", timeout=30)
    assert [s.status for s in done.stages] == ["cancelled", "cancelled"]
    again = client.post(f"/api/v1/runs/{run_id}/cancel", headers=fiona.headers)
    assert again.status_code == 409

    step_id = done.stages[0].steps[0].id
    retried = client.post(f"/api/v1/runs/{run_id}/steps/{step_id}/retry", headers=fiona.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "running"
    wait_for(runtime, run_id, lambda r: r.stages[0].steps[0].status == "running")
    client.post(f"/api/v1/runs/{run_id}/cancel", headers=fiona.headers)
    done = wait_for(runtime, run_id, lambda r: r.stages[0].steps[0].status.finished, timeout=30)
    assert done.stages[0].steps[0].attempt == 2
    viewer = make_user(runtime, "vic", Role.VIEWER)
    assert client.post(f"/api/v1/runs/{run_id}/cancel", headers=viewer.headers).status_code == 403
    assert client.get(
        f"/api/v1/runs/{run_id}/steps/{step_id}/log", headers=viewer.headers, params={"attempt": 1}
    ).json()["chunks"]


def test_a_failed_step_retried_lets_the_run_pass(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pipeline = """\
version: 1
stages:
  - name: test
    steps:
      - name: flaky
        run: test "$FACTORY_STEP_ATTEMPT" -gt 1
      - name: after
        needs: [flaky]
        run: echo after
  - name: deploy
    environment: dev
    steps:
      - name: go
        run: echo deployed
"""
    _setup(runtime, tmp_path, pipeline)
    run_id = int(str(_start(client, fiona)["id"]))
    failed = wait_for(runtime, run_id, finished)
    assert failed.status == "failed"
    assert [s.status for s in failed.stages[0].steps] == ["failed", "skipped"]
    assert failed.stages[1].status == "skipped"
    flaky = failed.stages[0].steps[0]
    assert (
        client.post(
            f"/api/v1/runs/{run_id}/steps/{failed.stages[0].steps[1].id}/retry", headers=fiona.headers
        ).status_code
        == 409
    )
    client.post(f"/api/v1/runs/{run_id}/steps/{flaky.id}/retry", headers=fiona.headers)
    passed = wait_for(runtime, run_id, finished)
    assert passed.status == "passed", passed.model_dump_json(indent=1)
    assert passed.stages[0].steps[0].attempt == 2
    deployments = client.get("/api/v1/deployments", headers=fiona.headers, params={"service": "drone-api"}).json()
    assert [(d["environment"], d["status"]) for d in deployments["items"]] == [("dev", "succeeded")]


def test_an_environment_secret_reaches_only_its_deploy_stage(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pavel = make_user(runtime, "pavel", Role.TEAM)
    pipeline = """\
version: 1
stages:
  - name: build
    steps:
      - name: peek
        secrets: [PROD_TOKEN]
        run: echo "build sees it"
  - name: deploy
    environment: prod
    steps:
      - name: go
        secrets: [PROD_TOKEN]
        run: test -n "$PROD_TOKEN" && echo "prod has its token"
"""
    _setup(runtime, tmp_path, pipeline, owners=("fiona", "pavel"))
    scoped = client.put(
        "/api/v1/services/drone-api/secrets/PROD_TOKEN",
        headers=fiona.headers,
        json={"value": "prod-only-token-value", "environment": "prod"},
    )
    assert scoped.status_code == 200 and scoped.json()["environment"] == "prod"
    failed = wait_for(runtime, int(str(_start(client, fiona)["id"])), finished)
    peek = failed.stages[0].steps[0]
    assert peek.status == "failed" and (peek.error or "").startswith("secret(s) PROD_TOKEN not set for drone-api")

    build_only = pipeline.replace("        secrets: [PROD_TOKEN]\n        run: echo", "        run: echo")
    repo_dir = tmp_path / "drone-api" / "work"
    from tests.delivery.gitrepo import git

    (repo_dir / ".factory" / "pipeline.yml").write_text(build_only)
    git("commit", "-qam", "Only prod needs the token", cwd=repo_dir)
    git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=repo_dir)
    run_id = int(str(_start(client, fiona)["id"]))
    gated = wait_for(runtime, run_id, lambda r: r.status == "waiting")
    client.post(
        f"/api/v1/deployments/{gated.stages[1].deployment_id}/approve", headers=pavel.headers, json={"comment": "ok"}
    )
    done = wait_for(runtime, run_id, finished)
    assert done.status == "passed", done.model_dump_json(indent=1)


def test_every_step_starts_from_the_commits_tree_and_nothing_is_kept_after_the_run(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    """The tree is checked out once per run and copied for each step: a step's changes stay its own."""
    fiona = make_user(runtime, "fiona", Role.TEAM)
    pipeline = """\
version: 1
stages:
  - name: test
    steps:
      - name: scribble
        run: echo scribbled >> README.md && rm -f .factory/pipeline.yml && grep -q scribbled README.md
      - name: read
        needs: [scribble]
        run: test "$(cat README.md)" = "drone api" && test -f .factory/pipeline.yml && git status --porcelain
"""
    _setup(runtime, tmp_path, pipeline)
    run_id = int(str(_start(client, fiona)["id"]))
    run = wait_for(runtime, run_id, finished)
    assert run.status == "passed", run.model_dump_json(indent=1)
    # The runner clears the checkout just after it records the last outcome (so a step never waits for it).
    sources = runtime.delivery.workspaces_dir / f"run-{run_id}" / "sources"
    eventually("the run's checkout to be removed", lambda: True if not sources.exists() else None, timeout=30)
