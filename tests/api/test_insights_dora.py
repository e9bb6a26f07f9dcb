"""GET /api/v1/insights/dora: the hand-built data set's figures over HTTP, a new deployment in the very next
read, and bad input as problem JSON naming the field."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.clock import SystemClock
from tests.delivery.owners import owning_team
from tests.factories import make_user
from tests.insights.dora_world import HOUR, SERVICE, TEAM, T, build, change, deploy

URL = "/api/v1/insights/dora"
WINDOW = {"start": T.isoformat(), "end": (T + timedelta(days=14)).isoformat()}


def test_a_new_deployment_shows_in_the_very_next_read(client: TestClient, runtime: Runtime) -> None:
    build(runtime)
    viewer = make_user(runtime, "vera", Role.VIEWER)
    before = client.get(URL, headers=viewer.headers, params={"service": SERVICE, **WINDOW})
    assert before.status_code == 200, before.text
    figures = before.json()["figures"]
    assert figures["deployment_frequency"]["sample_size"] == 7
    assert (figures["change_lead_time"]["value"], figures["change_lead_time"]["sample_size"]) == (6 * HOUR, 9)
    assert figures["deployment_frequency"]["band"] == "high" and before.json()["bands"] == 2024
    change(runtime, "cb" * 4, 150)
    deploy(runtime, "D10", "cb" * 4, 150.5)
    after = client.get(URL, headers=viewer.headers, params={"service": SERVICE, **WINDOW}).json()["figures"]
    assert after["deployment_frequency"]["sample_size"] == 8
    # 0.5 1 1 2 3 | 6 8 10 25 49 h: the median is between 3 h and 6 h
    assert (after["change_lead_time"]["value"], after["change_lead_time"]["sample_size"]) == (4.5 * HOUR, 10)
    assert after["change_fail_rate"]["value"] == 3 / 9


def test_a_named_period_and_weekly_trend(client: TestClient, runtime: Runtime) -> None:
    build(runtime)
    viewer = make_user(runtime, "vera", Role.VIEWER)
    body = client.get(URL, headers=viewer.headers, params={"team": TEAM, "period": "2026-W10"}).json()
    assert (body["scope"], body["key"], body["start"][:10], body["end"][:10]) == (
        "team",
        TEAM,
        "2026-03-02",
        "2026-03-09",
    )
    assert body["figures"]["deployment_frequency"]["value"] == 1.0
    assert len(body["trend"]) == 1 and body["services"] == [SERVICE]
    monthly = client.get(URL, headers=viewer.headers, params={"period": "2026-Q1", "bucket": "month"}).json()
    assert [point["start"][:10] for point in monthly["trend"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert monthly["trend"][2]["figures"]["deployment_frequency"]["sample_size"] == 7
    assert monthly["trend"][0]["figures"]["deployment_frequency"]["value"] is None


def test_bad_input_is_problem_json_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    build(runtime)
    viewer = make_user(runtime, "vera", Role.VIEWER)
    cases = [
        ({"service": SERVICE, "team": TEAM}, 422, "team"),
        ({"start": WINDOW["end"], "end": WINDOW["start"]}, 422, "start"),
        ({"period": "2026-Q5"}, 422, "period"),
        ({"period": "2026-Q1", "start": WINDOW["start"]}, 422, "period"),
        ({"bucket": "fortnight"}, 422, "bucket"),
        ({"start": "2020-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "bucket": "day"}, 422, "bucket"),
    ]
    for params, status, field in cases:
        answer = client.get(URL, headers=viewer.headers, params=params)
        assert answer.status_code == status, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        # the domain names the field; FastAPI's own check names its place (`query.bucket`)
        assert field in [e["field"].removeprefix("query.") for e in answer.json()["errors"]], (params, answer.json())
    missing = client.get(URL, headers=viewer.headers, params={"service": "no-such"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert client.get(URL, params={"service": SERVICE}).status_code == 401


def test_an_incident_opened_through_the_api_naming_a_commit_counts_at_once(
    client: TestClient, runtime: Runtime
) -> None:
    build(runtime)
    runtime.store.clock = SystemClock()
    owner = make_user(runtime, "otto", Role.TEAM)
    owning_team(runtime, "otto", key=TEAM)
    opened = client.post(
        "/api/v1/incidents",
        headers=owner.headers,
        json={
            "service": SERVICE,
            "environment": "production",
            "title": "c2 broke the landing gear",
            "detected_at": (T + timedelta(hours=160)).isoformat(),
            "caused_by_change": "c2c2c2",
        },
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["cause_link"] == "change"
    figures = client.get(URL, headers=owner.headers, params={"service": SERVICE, **WINDOW}).json()["figures"]
    assert (figures["change_fail_rate"]["value"], figures["failed_deployment_recovery_time"]["unrecovered"]) == (0.5, 1)
    both = client.post(
        "/api/v1/incidents",
        headers=owner.headers,
        json={
            "service": SERVICE,
            "environment": "production",
            "title": "x",
            "caused_by_change": "c2c2",
            "caused_by_deployment": 1,
        },
    )
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "caused_by_change"
