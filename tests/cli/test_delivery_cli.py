"""`factory pipeline …`, `factory secret set`, `factory deployment list` against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.cli.root import app
from digital_factory.core.actor import system_actor
from tests.browser import LiveServer
from tests.delivery.gitrepo import make_repo
from tests.delivery.owners import owning_team
from tests.factories import make_user

PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: hello
        secrets: [API_KEY]
        run: echo "hello $API_KEY"
  - name: deploy
    environment: dev
    steps:
      - name: go
        run: echo "shipped to $FACTORY_ENVIRONMENT"
"""


def test_lint_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text("version: 2\nstages:\n  - name: Build\n    steps: []\n    colour: red\n")
    result = CliRunner().invoke(app, ["pipeline", "lint", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert [line.split(":")[1] for line in lines] == ["1", "3", "4", "5"], result.output
    assert "must be 1" in lines[0] and "unknown key 'colour'" in lines[3]
    path.write_text(PIPELINE)
    assert CliRunner().invoke(app, ["pipeline", "lint", str(path)]).exit_code == 0
    missing = CliRunner().invoke(app, ["pipeline", "lint", str(tmp_path / "nope.yml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_run_and_follow_logs_from_the_command_line(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = live_server.runtime
    fiona = make_user(runtime, "fiona", Role.TEAM)
    repo = make_repo(tmp_path / "repo", {".factory/pipeline.yml": PIPELINE}, "Hello (FEAT-4)")
    team = owning_team(runtime, "fiona")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="drone-api",
                name="Drone API",
                owner_team=team,
                repository_url=str(repo.bare),
                environments=[EnvironmentSpec(name="dev")],
            ),
        )
    monkeypatch.setenv("FACTORY_URL", live_server.url)
    monkeypatch.setenv("FACTORY_TOKEN", fiona.token)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    stored = runner.invoke(app, ["secret", "set", "drone-api", "API_KEY"], input="correct-horse-battery\n")
    assert stored.exit_code == 0, stored.output
    followed = runner.invoke(app, ["pipeline", "run", "drone-api", "--follow"])
    assert followed.exit_code == 0, followed.output
    assert "hello ***" in followed.output and "correct-horse" not in followed.output
    assert "shipped to dev" in followed.output and "passed" in followed.output
    listed = runner.invoke(app, ["deployment", "list", "--service", "drone-api"])
    assert "succeeded" in listed.output and "FEAT-4" in listed.output
    logs = runner.invoke(app, ["pipeline", "logs", "1", "--step", "go"])
    assert "shipped to dev" in logs.output
    unknown = runner.invoke(app, ["pipeline", "logs", "1", "--step", "nope"])
    assert unknown.exit_code == 3
    assert runner.invoke(app, ["pipeline", "show", "999"]).exit_code == 3

    make_user(runtime, "gina", Role.TEAM)
    policy = ["environment", "set-policy", "drone-api", "dev", "--role", "team", "--approver", "gina"]
    named = runner.invoke(app, policy)
    assert named.exit_code == 0, named.output
    assert "drone-api/dev: approval by team; approver group: gina" in named.output
    ambiguous = runner.invoke(app, ["environment", "set-policy", "drone-api", "dev", "--approver", "gina"])
    assert ambiguous.exit_code == 2 and "--automatic" in ambiguous.output
    monkeypatch.setenv("FACTORY_TOKEN", make_user(runtime, "tess", Role.TEAM).token)
    refused = runner.invoke(app, [*policy[:4], "--automatic"])
    assert refused.exit_code != 0 and "tess may not change the approval policy of drone-api/dev" in refused.output
