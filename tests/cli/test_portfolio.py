"""`factory theme|epic|feature|story` against a running server, over HTTP as in real use."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.cli.root import app
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.browser import LiveServer
from tests.factories import MadeUser, actor_of, make_user

runner = CliRunner()
AsUser = Callable[[MadeUser], None]


@pytest.fixture
def as_user(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> AsUser:
    """Point the CLI at the live server; returns a function that picks whose token it uses."""
    monkeypatch.setenv("FACTORY_URL", live_server.url)

    def use(user: MadeUser) -> None:
        monkeypatch.setenv("FACTORY_TOKEN", user.token)

    return use


@pytest.fixture
def runtime(live_server: LiveServer) -> Runtime:  # the live server's, so users made here can sign in there
    return live_server.runtime


def factory(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_epic_lifecycle_on_the_command_line(as_user: AsUser, runtime: Runtime, tmp_path: Path) -> None:
    board = make_user(runtime, "bea", Role.BOARD)
    pm = make_user(runtime, "paul", Role.PRODUCT)
    as_user(board)
    code, out = factory("theme", "create", "--objective", "Grow heavy lift", "--key-result", "Market share=15 %")
    assert code == 0 and "THEME-1" in out, out
    code, out = factory("theme", "list")
    assert "Market share → 15 %" in out

    as_user(pm)
    payload = tmp_path / "epic.json"
    payload.write_text(
        json.dumps(
            {
                "hypothesis": {
                    "for_customers": "logistics companies",
                    "who": "move heavy payloads",
                    "the_solution": "heavy-lift drone",
                    "is_a": "cargo drone",
                    "that": "carries 25 kg",
                    "unlike": "5 kg drones",
                    "our_solution": "flies 40 km loaded",
                }
            }
        )
    )
    code, out = factory("epic", "create", "--title", "Heavy-lift drones", "--theme", "THEME-1", "--json", str(payload))
    assert code == 0 and "EPIC-1" in out, out
    assert factory("epic", "move", "EPIC-1", "reviewing", "--reason", "promising")[0] == 0
    code, out = factory("epic", "move", "EPIC-1", "analyzing")
    assert code == 4 and "analyzing-needs-owner-and-wsjf" in out
    assert "Traceback" not in out
    code, out = factory("epic", "score", "EPIC-1", "20", "8", "13", "8")
    assert code == 0 and "WSJF 5.12" in out
    code, out = factory("epic", "score", "EPIC-1", "20", "8", "13", "7")
    assert code == 2 and "modified Fibonacci" in out
    assert factory("epic", "update", "EPIC-1", "--owner", "bea")[0] == 0
    code, out = factory("epic", "move", "EPIC-1", "analyzing")
    assert code == 0 and "reviewing → analyzing" in out
    code, out = factory("epic", "backlog")
    assert "EPIC-1" in out and "5.12" in out
    assert factory("epic", "update", "EPIC-1", "--title", "Heavy-lift [bold] drones")[0] == 0
    code, out = factory("epic", "show", "EPIC-1")
    assert "Heavy-lift [bold] drones" in out  # user text is printed as is, never as markup
    assert "For logistics companies who move heavy payloads" in out
    assert "paul: funnel → reviewing — promising" in out
    code, out = factory("epic", "decide", "EPIC-1", "no-go", "--rationale", "too early")
    assert code == 5  # product management does not decide
    code, out = factory("epic", "list", "--state", "analyzing")
    assert "Heavy-lift [bold] drones" in out

    as_user(board)
    code, out = factory("epic", "kanban", "--wip", "analyzing=1", "--gate", "done-needs-reason=on")
    assert code == 0 and "Analyzing" in out
    code, out = factory("epic", "kanban", "--wip", "analyzing=lots")
    assert code == 2 and "STATE=LIMIT" in out
    code, out = factory("epic", "decide", "EPIC-1", "no-go", "--rationale", "too early", "--evidence", "units=3")
    assert code == 0 and "moved to done" in out
    code, out = factory("epic", "board")
    assert "Done" in out and "EPIC-1" in out


def test_features_stories_and_import(as_user: AsUser, runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    pm = make_user(runtime, "paul", Role.PRODUCT)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
    as_user(pm)
    source = tmp_path / "export.csv"
    source.write_text(
        "type,ref,parent,title,team\n"
        "epic,J-1,,Heavy-lift drones,\n"
        "feature,J-2,J-1,Modified flight software,flight-software\n"
    )
    code, out = factory("epic", "import", str(source), "--dry-run")
    assert code == 0 and "would import 1 epic(s) and 1 feature(s)" in out
    code, out = factory("epic", "import", str(source))
    assert code == 0 and "keys: EPIC-1, FEAT-1" in out
    code, out = factory("epic", "import", str(source))
    assert code == 2 and "already imported as EPIC-1" in out and "nothing imported" in out
    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    code, out = factory("epic", "import", str(broken))
    assert code == 2 and "not valid JSON" in out
    assert factory("epic", "import", str(tmp_path / "missing.csv"))[0] == 2

    code, out = factory(
        "feature", "create", "--epic", "EPIC-1", "--title", "Better engines", "--criterion", "30% more thrust"
    )
    assert code == 0 and "FEAT-2" in out
    code, out = factory("feature", "assign", "FEAT-2", "engines")
    assert code == 2 and "no team 'engines'" in out
    code, out = factory("story", "create", "--feature", "FEAT-1", "--title", "Payload envelope", "--points", "5")
    assert code == 0 and "for flight-software" in out
    assert factory("story", "create", "--feature", "FEAT-1", "--title", "Gust handling")[0] == 0
    code, out = factory("story", "move", "STORY-1", "active")
    assert code == 0 and "STORY-1 is active" in out
    code, out = factory("story", "move", "STORY-1", "new")
    assert code == 4
    code, out = factory("story", "backlog", "flight-software", "--order", "STORY-2", "--order", "STORY-1")
    assert code == 0 and out.index("STORY-2") < out.index("STORY-1")
    code, out = factory("feature", "show", "FEAT-1")
    assert "STORY-1 [active] Payload envelope" in out
    code, out = factory("feature", "list", "--epic", "EPIC-1")
    assert "Better" in out and "active" in out  # (the table wraps titles at 80 columns)
    code, out = factory("story", "show", "STORY-1")
    assert "new → active" in out


def test_feature_and_story_text_are_edited_on_the_command_line(as_user: AsUser, runtime: Runtime) -> None:
    from digital_factory.core.actor import system_actor
    from digital_factory.portfolio import service as portfolio
    from digital_factory.portfolio.schemas import FeatureCreate, StoryCreate
    from tests.portfolio.builders import ready_epic

    make_user(runtime, "bea", Role.BOARD)
    ready_epic(runtime, actor_of(runtime, "bea"))
    pm = make_user(runtime, "paul", Role.PRODUCT)
    with runtime.store.unit_of_work(actor_of(runtime, "paul")) as uow:
        portfolio.create_feature(uow, FeatureCreate(epic="EPIC-1", title="Bigger batteries"))
        portfolio.create_story(uow, StoryCreate(feature="FEAT-1", title="Cells"))
    as_user(pm)
    code, out = factory(
        "feature", "edit", "FEAT-1", "--title", "Lighter batteries", "--hypothesis", "Flights 20 % longer",
        "--criterion", "30 min with 5 kg", "--criterion", "Charges in 1 h",
    )  # fmt: skip
    assert code == 0 and "updated FEAT-1: Lighter batteries" in out and "Flights 20 % longer" in out, out
    code, out = factory(
        "story", "edit", "STORY-1", "--description", "As a pilot, I want longer flights", "--points", "5"
    )
    assert code == 0 and "As a pilot, I want longer flights" in out, out
    code, out = factory("feature", "edit", "FEAT-1")
    assert code == 2 and "nothing to change" in out
    code, out = factory("story", "edit", "STORY-1", "--title", "")
    assert code != 0 and "title" in out and "Traceback" not in out
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        feature, story = portfolio.get_feature(uow, "FEAT-1"), portfolio.get_story(uow, "STORY-1")
    assert (feature.title, feature.benefit_hypothesis, feature.acceptance_criteria) == (
        "Lighter batteries",
        "Flights 20 % longer",
        ["30 min with 5 kg", "Charges in 1 h"],
    )
    assert (story.title, story.description, story.points) == ("Cells", "As a pilot, I want longer flights", 5)
