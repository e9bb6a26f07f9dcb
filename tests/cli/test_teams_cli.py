"""`factory team|service|value-stream …` against a live server through the REST API."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import actor_of
from tests.teams.helpers import drone_teams

runner = CliRunner()


@pytest.fixture
def as_user(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    people = drone_teams(live_server.runtime)
    monkeypatch.setenv("FACTORY_URL", live_server.url)
    monkeypatch.setenv("COLUMNS", "200")
    return {name: user.token for name, user in people.items()}


def factory(monkeypatch: pytest.MonkeyPatch, token: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    monkeypatch.setenv("FACTORY_TOKEN", token)
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def test_team_commands(as_user: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pia, fiona = as_user["pia"], as_user["fiona"]
    code, out = factory(monkeypatch, pia, "team", "add-member", "flight-software", "pavel", "--role", "engineer")
    assert code == 0 and "pavel joined flight-software as engineer" in out
    code, out = factory(
        monkeypatch, fiona, "team", "domain", "flight-software", "Flight control", "--complexity", "complex"
    )
    assert code == 0 and "owns Flight control (complex)" in out
    code, out = factory(monkeypatch, fiona, "team", "domain", "flight-software", "Telemetry", "--complexity", "simple")
    assert "warning: owns the complex domain Flight control and 1 other domain(s)" in out
    code, out = factory(
        monkeypatch,
        fiona,
        "team",
        "interact",
        "flight-software",
        "--with",
        "platform",
        "--mode",
        "x-as-a-service",
        "--purpose",
        "pipelines",
        "--expected",
        "3 months",
    )
    assert code == 0 and "flight-software x-as-a-service platform" in out
    code, out = factory(
        monkeypatch, fiona, "team", "interact", "flight-software", "--with", "platform", "--mode", "chat"
    )
    assert code == 2 and "mode" in out and "Traceback" not in out
    code, out = factory(
        monkeypatch,
        fiona,
        "team",
        "interact",
        "flight-software",
        "--with",
        "x",
        "--mode",
        "collaboration",
        "--expected",
        "soon",
    )
    assert code == 2 and "--expected" in out

    code, out = factory(monkeypatch, fiona, "team", "show", "flight-software")
    assert code == 0
    for text in ("Flight Software", "tech lead", "Flight control", "complex", "platform", "consumer", "warning:"):
        assert text in out

    code, out = factory(
        monkeypatch,
        fiona,
        "team",
        "survey",
        "flight-software",
        *[arg for q in ("effective", "domain-complexity", "breadth", "toil", "tooling") for arg in ("-a", f"{q}=4")],
        stdin="9\n4\n",  # the unanswered question is asked until the answer is 1-5
    )
    assert code == 0 and "58.3/100 (stretched)" in out
    code, out = factory(monkeypatch, fiona, "team", "survey", "flight-software", "--show")
    assert code == 0 and "58.3" in out

    exported = tmp_path / "fsw.yaml"
    code, _ = factory(monkeypatch, fiona, "team", "export", "flight-software", "-o", str(exported))
    assert code == 0
    document = yaml.safe_load(exported.read_text())
    assert document["info"]["key"] == "flight-software" and len(document["members"]) == 2
    document["info"] = {"name": "Engines", "key": "engines"}
    document["domains"] = []
    document["members"].append({"username": "ghost"})
    broken = tmp_path / "engines.yaml"
    broken.write_text(yaml.safe_dump(document))
    code, out = factory(monkeypatch, pia, "team", "import", str(broken))
    assert code == 2 and "members[2].username: no such user" in out and "nothing was stored" in out
    document["members"].pop()
    broken.write_text(yaml.safe_dump(document))
    code, out = factory(monkeypatch, pia, "team", "import", str(broken), "--dry-run")
    assert code == 0 and "would create team engines" in out
    code, out = factory(monkeypatch, pia, "team", "import", "-", stdin=yaml.safe_dump(document))
    assert code == 0 and "created team engines" in out
    code, out = factory(monkeypatch, pia, "team", "export", "engines", "--format", "json")
    assert code == 0 and '"key": "engines"' in out
    code, out = factory(monkeypatch, pia, "team", "import", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read" in out


def test_service_and_value_stream_commands(
    as_user: dict[str, str], live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pia, pavel = as_user["pia"], as_user["pavel"]
    code, out = factory(monkeypatch, pia, "value-stream", "create", "heavy-lift", "--name", "Heavy-lift drones")
    assert code == 0 and "created value stream heavy-lift" in out
    with live_server.runtime.store.unit_of_work(actor_of(live_server.runtime, "pia")) as uow:
        for key, owner in (("flight-control", "flight-software"), ("battery-api", "power-systems")):
            catalog.register_service(uow, ServiceCreate(key=key, name=key, owner_team=owner))
    code, out = factory(monkeypatch, pia, "value-stream", "assign", "heavy-lift", "flight-control", "battery-api")
    assert code == 0 and "-> heavy-lift" in out
    code, out = factory(monkeypatch, pia, "value-stream", "list")
    assert "Heavy-lift drones" in out and "flight-software, power-systems" in out
    code, out = factory(monkeypatch, pia, "value-stream", "show", "heavy-lift")
    assert "battery-api" in out and "flight-control" in out

    code, out = factory(monkeypatch, pavel, "service", "depend", "battery-api", "--on", "flight-control")
    assert code == 0 and "battery-api depends on flight-control" in out
    code, out = factory(monkeypatch, pia, "service", "depend", "flight-control", "--on", "battery-api")
    assert "this closes a dependency loop: flight-control -> battery-api -> flight-control" in out
    code, out = factory(monkeypatch, pavel, "service", "depend", "battery-api", "--on", "battery-api")
    assert code == 2 and "cannot depend on itself" in out
    code, out = factory(monkeypatch, pavel, "service", "show", "battery-api")
    assert code == 0
    for text in (
        "Depends on",
        "Used by",
        "flight-control",
        "continuous delivery: approval by team, admin",
        "dependency loop",
    ):
        assert text in out
    code, out = factory(monkeypatch, pia, "service", "depend", "flight-control", "--on", "battery-api", "--remove")
    assert code == 0 and "no longer depends" in out
    code, out = factory(monkeypatch, pia, "service", "show", "warp-drive")
    assert code == 3 and "no service with the key 'warp-drive'" in out


def test_team_list_prints_a_name_with_rich_markup_as_it_is(
    as_user: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = factory(monkeypatch, as_user["pia"], "team", "create", "markup", "--name", "[/]")
    assert code == 0 and "created team markup" in out
    code, out = factory(monkeypatch, as_user["pia"], "team", "list")
    assert code == 0, out
    assert "[/]" in out


def test_team_archive_and_restore(as_user: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    pia, pavel = as_user["pia"], as_user["pavel"]
    code, out = factory(monkeypatch, pavel, "team", "archive", "power-systems")
    assert code != 0 and "teams:write" in out
    code, out = factory(monkeypatch, pia, "team", "archive", "power-systems")
    assert code == 0 and "archived team power-systems" in out
    code, out = factory(monkeypatch, pia, "team", "list")
    assert "power-systems" not in out and "flight-software" in out
    code, out = factory(monkeypatch, pia, "team", "list", "--archived")
    assert "power-systems" in out and "archived" in out
    code, out = factory(monkeypatch, pia, "team", "show", "power-systems")
    assert "archived on " in out
    code, out = factory(monkeypatch, pia, "team", "add-member", "power-systems", "vic")
    assert code != 0 and "archived" in out
    code, out = factory(monkeypatch, pia, "team", "restore", "power-systems")
    assert code == 0 and "restored team power-systems" in out
    assert "power-systems" in factory(monkeypatch, pia, "team", "list")[1]


def test_a_key_is_one_path_segment_whatever_it_holds(as_user: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A key typed (or passed by a script) with `/` or `..` names no other object: before, `platform/..`
    joined the path and `team archive 'platform/../flight-software'` archived flight-software."""
    pia = as_user["pia"]
    for key in ("platform/../flight-software", "..", "flight-software?x=1", "flight-software#x"):
        code, out = factory(monkeypatch, pia, "team", "archive", key)
        assert code != 0 and "error:" in out, (key, out)
    code, out = factory(monkeypatch, pia, "team", "show", "flight-software")
    assert code == 0 and "archived" not in out
