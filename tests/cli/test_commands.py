"""The `factory` command: store commands, settings, exit codes, and REST resource commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from digital_factory import __version__
from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, UserUpdate
from digital_factory.cli.root import app
from digital_factory.core.actor import system_actor
from tests.browser import LiveServer
from tests.factories import make_user

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {"FACTORY_HOME": str(tmp_path / "home"), "FACTORY_DATABASE_URL": database_url}


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"digital-factory {__version__}"


def test_db_upgrade_on_a_sqlite_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'store.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--url", url], env={"FACTORY_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "(empty) ->" in result.output and (tmp_path / "elsewhere" / "store.db").exists()
    current = runner.invoke(app, ["db", "current", "--url", url], env={"FACTORY_HOME": str(tmp_path)})
    assert "up to date" in current.output
    check = runner.invoke(app, ["db", "check", "--url", url], env={"FACTORY_HOME": str(tmp_path)})
    assert check.exit_code == 0 and "no drift" in check.output


def test_db_upgrade_on_the_configured_store(env: dict[str, str]) -> None:
    down = runner.invoke(app, ["db", "downgrade", "base"], env=env)
    assert down.exit_code == 0, down.output
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "(empty) ->" in result.output


def test_create_user_and_token_on_the_store(env: dict[str, str]) -> None:
    created = runner.invoke(app, ["admin", "create-user", "petra", "--role", "product"], env=env)
    assert created.exit_code == 0, created.output
    assert "one-time password" in created.output
    with_password = runner.invoke(
        app,
        ["admin", "create-user", "quinn", "--role", "viewer", "--password-stdin"],
        env=env,
        input="a long enough password\n",
    )
    assert with_password.exit_code == 0 and "one-time" not in with_password.output
    token = runner.invoke(app, ["token", "create", "--user", "petra", "--scope", "read", "--expires", "7"], env=env)
    assert token.exit_code == 0, token.output
    assert token.stdout.strip().splitlines()[-1].startswith("dfat_")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["admin", "create-user", "Bad Name", "--role", "viewer"], 2, "username"),
        (["admin", "create-user", "ok-name", "--role", "emperor"], 2, "role"),
        (["token", "create", "--user", "ghost"], 3, "no user named 'ghost'"),
        (["token", "create", "--user", "admin", "--expires", "0"], 2, "expires_in_days"),
    ],
)
def test_bad_input_exits_with_a_message(env: dict[str, str], args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output


def test_duplicate_user_is_a_conflict(env: dict[str, str]) -> None:
    assert runner.invoke(app, ["admin", "create-user", "dup", "--role", "viewer"], env=env).exit_code == 0
    again = runner.invoke(app, ["admin", "create-user", "dup", "--role", "viewer"], env=env)
    assert again.exit_code == 4 and "already exists" in again.output


def test_settings_show_masks_secrets(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["settings", "show"],
        env={
            "FACTORY_HOME": str(tmp_path),
            "FACTORY_SECRET_KEY": "super-secret-value",
            "FACTORY_DATABASE_URL": "postgresql+psycopg://factory:hunter2hunter2@db.internal/factory",
            "COLUMNS": "200",
        },
    )
    assert result.exit_code == 0
    assert "super-secret-value" not in result.output and "hunter2hunter2" not in result.output
    assert "(set, hidden)" in result.output and "factory:***@db.internal" in result.output


def test_settings_show_prints_values_literally(tmp_path: Path) -> None:
    home = tmp_path / "[/]home[bold]"
    result = runner.invoke(app, ["settings", "show"], env={"FACTORY_HOME": str(home), "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert str(home) in result.output


def test_creating_a_user_names_the_user_and_role(env: dict[str, str]) -> None:
    created = runner.invoke(app, ["admin", "create-user", "petra", "--role", "team"], env=env)
    assert created.exit_code == 0, created.output
    assert "created user petra (team)" in created.output


def test_invalid_settings_are_named(tmp_path: Path) -> None:
    result = runner.invoke(app, ["settings", "show"], env={"FACTORY_HOME": str(tmp_path), "FACTORY_PORT": "http"})
    assert result.exit_code == 2 and "FACTORY_PORT" in result.output


def test_resource_commands_talk_to_the_server(live_server: LiveServer) -> None:
    ada = make_user(live_server.runtime, "ada", Role.ADMIN)
    make_user(live_server.runtime, "bob", Role.TEAM)
    env = {"FACTORY_URL": live_server.url, "FACTORY_TOKEN": ada.token, "COLUMNS": "200"}
    with live_server.runtime.store.unit_of_work(system_actor("tests")) as uow:
        accounts.update_user(uow, "bob", UserUpdate(display_name="[/] [bold]Bob"))
    users = runner.invoke(app, ["user", "list"], env=env)
    assert users.exit_code == 0, users.output
    assert "ada" in users.output and "bob" in users.output
    assert "[/] [bold]Bob" in users.output  # user text is printed as it is, never read as markup
    created = runner.invoke(app, ["team", "create", "engines", "--name", "Engines"], env=env)
    assert created.exit_code == 0, created.output
    audit = runner.invoke(app, ["audit", "list", "--action", "team.create"], env=env)
    assert "team.create" in audit.output and "ada" in audit.output
    refused = runner.invoke(app, ["user", "list"], env={**env, "FACTORY_TOKEN": "dfat_nonsense"})
    assert refused.exit_code == 6 and "malformed" in refused.output
    missing = runner.invoke(app, ["user", "list"], env={"FACTORY_URL": live_server.url, "FACTORY_TOKEN": ""})
    assert missing.exit_code == 6 and "FACTORY_TOKEN" in missing.output
