"""Without bubblewrap, steps are refused with a clear message (unless FACTORY_SANDBOX=off says otherwise);
`factory doctor` and `/readyz` say which protections this host gives steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.cli.root import app as cli
from digital_factory.delivery import sandbox
from digital_factory.settings import Settings
from tests.conftest import TEST_PUBLIC_URL
from tests.delivery.gitrepo import make_repo, wait_for
from tests.factories import make_user

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: hello
        run: echo hello from the step
"""


def _without_bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *args, **kw: None if name == "bwrap" else which(name, *args, **kw)
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    _without_bwrap(monkeypatch)
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        public_url=TEST_PUBLIC_URL,
        secret_key="test-secret-key-not-for-production",
    )


def test_without_bubblewrap_a_step_is_refused_with_the_reason(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    assert runtime.delivery.sandbox.isolation is sandbox.Isolation.MISSING
    platform = make_user(runtime, "pia", Role.PLATFORM)
    repo = make_repo(tmp_path, {".factory/pipeline.yml": PIPELINE}, "Pipeline")
    created = client.post(
        "/api/v1/services",
        headers=platform.headers,
        json={"key": "plain", "name": "Plain", "repository_url": str(repo.bare)},
    )
    assert created.status_code == 201, created.text
    started = client.post("/api/v1/services/plain/runs", headers=platform.headers, json={}).json()
    run = wait_for(runtime, started["id"], lambda r: r.status.finished)
    step = run.stages[0].steps[0]
    assert run.status == "failed" and step.status == "failed"
    log = client.get(f"/api/v1/runs/{run.id}/steps/{step.id}/log", headers=platform.headers).json()
    text = "".join(chunk["text"] for chunk in log["chunks"])
    assert "no bubblewrap" in text and "FACTORY_SANDBOX=off" in text
    assert "hello from the step" not in text
    ready = client.get("/readyz").json()
    assert ready["sandbox"]["bubblewrap"] is False and ready["sandbox"]["egress_isolation"] is False


def test_factory_doctor_names_the_missing_sandbox_and_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_bwrap(monkeypatch)
    result = CliRunner().invoke(cli, ["doctor"], env={"FACTORY_HOME": str(tmp_path), "COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert "bubblewrap" in result.output and "inactive" in result.output
    off = CliRunner().invoke(
        cli, ["doctor"], env={"FACTORY_HOME": str(tmp_path), "FACTORY_SANDBOX": "off", "COLUMNS": "200"}
    )
    assert off.exit_code == 0, off.output
    assert "FACTORY_SANDBOX=off" in off.output
