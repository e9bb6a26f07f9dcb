"""Hypothesis evaluation on the portfolio pages (no browser): who sees the decision form, a refused snapshot
re-renders the page with the reason, theme key results' current values, WSJF re-score suggestions."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import KeyResultSpec, ThemeCreate
from tests.factories import actor_of, make_user, web_login
from tests.insights.hypotheses_world import UNITS, sell, units
from tests.portfolio.builders import move, ready_epic, update
from tests.telemetry.builders import make_service

ORIGIN = {"Origin": "http://testserver"}


def test_only_deciders_get_the_decision_form_with_the_evaluation(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    key = ready_epic(runtime, board).key
    move(runtime, board, key, "implementing")
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    seen = client.get(f"/portfolio/epics/{key}")
    assert seen.status_code == 200
    assert 'data-testid="indicator-status">no data<' in seen.text
    assert 'name="evaluation"' not in seen.text and "Record decision" not in seen.text
    client.cookies.clear()
    web_login(client, make_user(runtime, "ada", Role.ADMIN))
    decider = client.get(f"/portfolio/epics/{key}")
    assert 'name="evaluation"' in decider.text and "Record decision" in decider.text


def test_a_snapshot_naming_other_indicators_is_refused_on_the_page(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    key = ready_epic(runtime, board).key
    move(runtime, board, key, "implementing")
    csrf = web_login(client, make_user(runtime, "ada", Role.ADMIN))
    forged = (
        '{"evaluated_at": "2026-01-01T00:00:00Z", "score": 1, "status": "validated", '
        '"indicators": [{"name": "Invented", "baseline": 0, "target": 1, "observed": 5, "status": "validated"}]}'
    )
    answer = client.post(
        f"/portfolio/epics/{key}/decide",
        data={"csrf_token": csrf, "kind": "persevere", "rationale": "looks great", "evaluation": forged},
        headers=ORIGIN,
    )
    assert answer.status_code == 422
    assert "leading indicators (Heavy-lift units sold)" in answer.text
    with runtime.store.unit_of_work(board, write=False) as uow:
        assert [d.kind for d in portfolio.list_decisions(uow, key)] == ["go"]


def test_theme_page_shows_key_results_current_values(client: TestClient, runtime: Runtime) -> None:
    make_service(runtime)
    make_user(runtime, "bea", Role.BOARD)
    with runtime.store.unit_of_work(actor_of(runtime, "bea")) as uow:
        portfolio.create_theme(
            uow,
            ThemeCreate(
                objective="Lead heavy lift",
                key_results=[
                    KeyResultSpec(description="Units", metric_query=UNITS, baseline=0, target=40, unit="units")
                ],
            ),
        )
    sell(runtime, 10)
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    page = client.get("/portfolio/themes")
    assert "Now: <strong>10</strong> units, 25 % of the way (1 sample)" in page.text


def test_backlog_suggests_rescoring_an_epic_whose_outcome_lags(client: TestClient, runtime: Runtime) -> None:
    make_service(runtime)
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    key = ready_epic(runtime, board).key  # user-business value 20
    move(runtime, board, key, "implementing")
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert 'data-testid="no-suggestion"' in client.get("/portfolio/backlog").text
    update(runtime, board, key, leading_indicators=[units(50, deadline=date.today() - timedelta(days=2))])
    sell(runtime, 5, hours_ago=24 * 4)
    page = client.get("/portfolio/backlog").text
    assert f'<a href="/portfolio/epics/{key}">{key}</a>' in page
    assert "<strong>lower the value</strong>: user-business value 20 assumed high" in page


def test_hypotheses_under_test_page_lists_implementing_epics(client: TestClient, runtime: Runtime) -> None:
    make_service(runtime)
    make_user(runtime, "bea", Role.BOARD)
    board = actor_of(runtime, "bea")
    web_login(client, make_user(runtime, "vic", Role.VIEWER))
    assert 'data-testid="no-hypotheses"' in client.get("/insights/hypotheses").text
    key = ready_epic(runtime, board).key
    move(runtime, board, key, "implementing")
    sell(runtime, 30, 30)  # 60 of 50
    page = client.get("/insights/hypotheses")
    assert page.status_code == 200
    row = page.text.split('data-testid="hypothesis-row"')[1].split("</tr>")[0]
    assert f'<a href="/portfolio/epics/{key}">{key}</a>' in row
    assert ">100 %<" in row and ">validated<" in row and ">persevere<" in row
