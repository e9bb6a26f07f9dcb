"""`factory team onboard`, `template list`, `repo list` against a real server, as a user runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import ensure_work, make_user
from tests.platform.support import git, with_token


def test_team_onboard_from_the_command_line(live_server: LiveServer, tmp_path: Path) -> None:
    pia = make_user(live_server.runtime, "pia", Role.PLATFORM)
    ensure_work(live_server.runtime, "FEAT-3")
    env = {"FACTORY_URL": live_server.url, "FACTORY_TOKEN": pia.token, "COLUMNS": "200"}
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "team",
            "onboard",
            "engines",
            "--name",
            "Engines",
            "--service",
            "engine-control",
            "--feature",
            "FEAT-3",
            "--answer",
            "http_port=9000",
            "--mission",
            "Engines that lift 25 kg",
            "--domain",
            "Propulsion",
        ],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert "Register the service in the catalog" in done.output
    assert "ingestion key (shown once): dfik_" in done.output
    for line in (
        f"Team: {live_server.url}/teams/engines",
        f"Repository: {live_server.url}/git/engine-control.git",
        f"Catalog entry: {live_server.url}/catalog/services/engine-control",
        f"Environments: {live_server.url}/catalog/services/engine-control#envs",
        f"Feature flags: {live_server.url}/releases/engine-control",
        "Value stream: ",
    ):
        assert (line in done.output) is (line != "Value stream: "), line  # no value stream to join here
    assert f"{live_server.url}/delivery/" in done.output  # the first run, or the service's runs
    clone_url = f"{live_server.url}/git/engine-control.git"
    assert clone_url in done.output
    git("clone", with_token(clone_url, pia.token), str(tmp_path / "c"))
    assert "http_port: 9000" in (tmp_path / "c" / ".copier-answers.yml").read_text()

    shown = runner.invoke(app, ["team", "show", "engines"], env=env)
    assert "Engines that lift 25 kg" in shown.output and "Propulsion" in shown.output

    listed = runner.invoke(app, ["repo", "list"], env=env)
    assert listed.exit_code == 0 and "engine-control" in listed.output and "engines" in listed.output
    templates = runner.invoke(app, ["template", "list"], env=env)
    assert "python-service" in templates.output and "static-site" in templates.output

    again = runner.invoke(app, ["team", "onboard", "engines", "--service", "engine-control"], env=env)
    assert again.exit_code == 4 and "already exists" in again.output
    bad = runner.invoke(app, ["team", "onboard", "x-team", "--service", "svc", "--answer", "nonsense"], env=env)
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output
    nothing = runner.invoke(app, ["template", "upgrade", "--all"], env=env)
    assert nothing.exit_code == 0 and "nothing to upgrade" in nothing.output
