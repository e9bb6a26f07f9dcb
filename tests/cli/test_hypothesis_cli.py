"""`factory hypothesis …` against a real server: show (table and --json), key results, feedback, decide,
and an unknown epic as a message with a non-zero exit."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import KeyResultSpec, ThemeCreate
from tests.browser import LiveServer
from tests.factories import MadeUser, actor_of, make_user
from tests.insights.hypotheses_world import UNITS, sell
from tests.portfolio.builders import move, ready_epic
from tests.telemetry.builders import make_service


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_hypothesis_commands(live_server: LiveServer) -> None:
    runtime = live_server.runtime
    make_service(runtime)
    bea = make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    key = ready_epic(runtime, board).key
    move(runtime, board, key, "implementing")
    with runtime.store.unit_of_work(board) as uow:
        theme = portfolio.create_theme(
            uow,
            ThemeCreate(
                objective="Lead", key_results=[KeyResultSpec(description="Units", metric_query=UNITS, target=100)]
            ),
        )
    sell(runtime, 30, 30)  # 60 of 50
    viewer = make_user(runtime, "vic", Role.VIEWER)

    code, out = factory(live_server, viewer, "hypothesis", "show", key)
    assert code == 0, out
    assert "hypothesis validated · score 100% · recommendation persevere" in out
    assert "Heavy-lift units sold" in out and "120%" in out
    code, out = factory(live_server, viewer, "hypothesis", "show", key, "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert [(i["observed"], i["sample_size"], i["status"]) for i in answer["indicators"]] == [(60.0, 2, "validated")]

    code, out = factory(live_server, viewer, "hypothesis", "key-results", theme.key, "--json")
    assert code == 0 and json.loads(out)["key_results"][0]["progress"] == 0.6, out
    code, out = factory(live_server, viewer, "hypothesis", "feedback", "--json")
    assert (code, json.loads(out)) == (0, []), out

    code, out = factory(live_server, viewer, "hypothesis", "decide", key, "--kind", "persevere", "--rationale", "go on")
    assert code != 0 and "portfolio:decide" in out, out
    code, out = factory(live_server, bea, "hypothesis", "decide", key, "--kind", "persevere", "--rationale", "go on")
    assert code == 0, out
    assert "persevere recorded; now in implementing:persevere" in out
    assert "hypothesis validated, score 100%, recommended persevere" in out

    code, out = factory(live_server, viewer, "hypothesis", "show", "EPIC-99")
    assert code != 0 and "EPIC-99" in out and "Traceback" not in out, out
