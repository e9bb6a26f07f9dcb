"""/insights hypothesis routes over HTTP: the evaluation follows the data on the next read, the decision keeps
the evaluation the board saw, key results, WSJF feedback, and refusals as problem JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import MadeUser, make_user
from tests.insights.hypotheses_world import FAR, UNITS
from tests.portfolio.builders import move, people, ready_epic
from tests.telemetry.builders import make_service


def _sell(client: TestClient, user: MadeUser, *counts: int) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    events = [
        {
            "kind": "units_sold",
            "service": "fleet-api",
            "count": count,
            "at": (at - timedelta(minutes=i)).isoformat(),
            "attributes": {"product": "heavy-lift"},
        }
        for i, count in enumerate(counts)
    ]
    answer = client.post("/api/v1/business/events", json=events, headers=user.headers)
    assert answer.status_code == 200, answer.text


def _hypothesis(client: TestClient, user: MadeUser, key: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/insights/epics/{key}/hypothesis", headers=user.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _snapshot(evaluation: dict[str, Any]) -> dict[str, Any]:
    """What a client shows and sends back with its decision."""
    fields = ("name", "observed", "baseline", "target", "progress", "status", "sample_size")
    return {
        "evaluated_at": evaluation["evaluated_at"],
        "score": evaluation["score"],
        "status": evaluation["status"],
        "recommendation": evaluation["recommendation"],
        "indicators": [{f: i[f] for f in fields} for i in evaluation["indicators"]],
    }


def test_an_indicator_crosses_its_target_and_the_next_read_says_validated(client: TestClient, runtime: Runtime) -> None:
    make_service(runtime)
    ada = make_user(runtime, "ada", Role.ADMIN)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    indicator = {"name": "Units", "metric_query": UNITS, "baseline": 0, "target": 50, "deadline": FAR.isoformat()}
    made = client.post(
        "/api/v1/epics", json={"title": "Heavy lift", "leading_indicators": [indicator]}, headers=ada.headers
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert _hypothesis(client, viewer, key)["indicators"][0]["status"] == "no-data"

    _sell(client, ada, 15, 5)
    before = _hypothesis(client, viewer, key)
    assert [(i["observed"], i["sample_size"], i["progress"], i["status"]) for i in before["indicators"]] == [
        (20.0, 2, 0.4, "on-track")
    ]
    assert (before["score"], before["status"], before["recommendation"]) == (0.4, "on-track", "pivot")

    _sell(client, ada, 40)
    after = _hypothesis(client, viewer, key)
    assert [(i["observed"], i["sample_size"], i["status"]) for i in after["indicators"]] == [(60.0, 3, "validated")]
    assert (after["score"], after["status"], after["recommendation"]) == (1.0, "validated", "persevere")
    assert after["thresholds"] == {"persevere": 0.8, "stop": 0.3}
    [line] = after["indicators"][0]["chart"]
    assert line["label"] == UNITS
    assert sum(p["value"] or 0 for p in line["points"]) == 60


def test_the_decision_keeps_the_evaluation_shown(client: TestClient, runtime: Runtime) -> None:
    board, _ = people(runtime)
    make_service(runtime)
    ada = make_user(runtime, "ada", Role.ADMIN)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    _sell(client, ada, 20)
    shown = _snapshot(_hypothesis(client, ada, made.key))
    _sell(client, ada, 40)  # arrives after the board looked
    answer = client.post(
        f"/api/v1/insights/epics/{made.key}/hypothesis/decisions",
        json={"kind": "pivot", "rationale": "slower than hoped", "evaluation": shown},
        headers=ada.headers,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["epic"]["state"] == "reviewing"
    decisions = client.get(f"/api/v1/epics/{made.key}/decisions", headers=ada.headers).json()
    kept = decisions[-1]
    assert kept["kind"] == "pivot"
    assert kept["evidence"] == {"Heavy-lift units sold": 20.0}
    assert kept["evaluation"]["score"] == 0.4
    assert kept["evaluation"]["recommendation"] == "pivot"
    assert kept["evaluation"]["indicators"] == [
        {
            "name": "Heavy-lift units sold",
            "observed": 20.0,
            "baseline": 0.0,
            "target": 50.0,
            "progress": 0.4,
            "status": "on-track",
            "sample_size": 1,
        }
    ]
    assert datetime.fromisoformat(kept["evaluation"]["evaluated_at"]) == datetime.fromisoformat(shown["evaluated_at"])


def test_bad_decisions_are_problems_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    board, _ = people(runtime)
    ada = make_user(runtime, "ada", Role.ADMIN)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    shown = _snapshot(_hypothesis(client, ada, made.key))
    path = f"/api/v1/insights/epics/{made.key}/hypothesis/decisions"
    other = {**shown, "indicators": [{**shown["indicators"][0], "name": "Something else"}]}
    cases = [
        ({"kind": "stop", "rationale": "x", "evaluation": other}, "evaluation.indicators"),
        ({"kind": "stop", "rationale": "x", "evaluation": {**shown, "score": 7}}, "body.evaluation.score"),
        ({"kind": "maybe", "rationale": "x"}, "body.kind"),
    ]
    for body, field in cases:
        answer = client.post(path, json=body, headers=ada.headers)
        assert answer.status_code == 422, answer.text
        assert field in {e["field"] for e in answer.json()["errors"]}, answer.text
    plain = client.post(  # portfolio's own decision route checks the evaluation the same way
        f"/api/v1/epics/{made.key}/decisions",
        json={"kind": "stop", "rationale": "x", "evaluation": other},
        headers=ada.headers,
    )
    assert plain.status_code == 422, plain.text
    assert [e["field"] for e in plain.json()["errors"]] == ["evaluation.indicators"]
    wrong_column = client.post(path, json={"kind": "go", "rationale": "x"}, headers=ada.headers)
    assert wrong_column.status_code == 409, wrong_column.text
    missing = client.get("/api/v1/insights/epics/EPIC-999/hypothesis", headers=ada.headers)
    assert missing.status_code == 404
    assert client.get(f"/api/v1/epics/{made.key}/decisions", headers=ada.headers).json()[-1]["kind"] == "go"


def test_key_results_and_wsjf_feedback(client: TestClient, runtime: Runtime) -> None:
    make_service(runtime)
    ada = make_user(runtime, "ada", Role.ADMIN)
    theme = client.post(
        "/api/v1/themes",
        json={
            "objective": "Lead heavy-lift logistics",
            "key_results": [{"description": "Units", "metric_query": UNITS, "baseline": 0, "target": 80}],
        },
        headers=ada.headers,
    )
    assert theme.status_code == 201, theme.text
    _sell(client, ada, 20)
    results = client.get(f"/api/v1/insights/themes/{theme.json()['key']}/key-results", headers=ada.headers)
    assert results.status_code == 200, results.text
    assert [(k["observed"], k["progress"]) for k in results.json()["key_results"]] == [(20.0, 0.25)]
    feedback = client.get("/api/v1/insights/wsjf-feedback", headers=ada.headers)
    assert feedback.status_code == 200
    assert feedback.json() == []  # nothing in Implementing or Done


def test_hypotheses_under_test(client: TestClient, runtime: Runtime) -> None:
    board, _ = people(runtime)
    make_service(runtime)
    ada = make_user(runtime, "ada", Role.ADMIN)
    made = ready_epic(runtime, board)
    assert client.get("/api/v1/insights/hypotheses", headers=ada.headers).json() == []  # Ready: not under test
    move(runtime, board, made.key, "implementing")
    _sell(client, ada, 10)
    [found] = client.get("/api/v1/insights/hypotheses", headers=ada.headers).json()
    assert (found["epic"], found["score"], found["status"]) == (made.key, 0.2, "on-track")
    assert (found["indicators"][0]["chart"], found["indicators"][0]["sample_size"]) == ([], None)
