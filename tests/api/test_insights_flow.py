"""/insights flow routes: the figures of the hand-worked data set (tests/insights/test_flow.py) over HTTP,
and bad input as problems naming the field."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user
from tests.insights.flow_builders import day, flow_data

DAYS = 86400.0


def test_flow_figures_and_the_cfd_over_http(client: TestClient, runtime: Runtime) -> None:
    _, keys = flow_data(runtime)
    viewer = make_user(runtime, "vic", Role.VIEWER).headers
    window = {"start": day(10).isoformat(), "end": day(20).isoformat()}
    flow = client.get("/api/v1/insights/flow", params={"team": "flight-software", **window}, headers=viewer)
    assert flow.status_code == 200, flow.text
    body = flow.json()
    assert (body["velocity"], body["flow_time_median_seconds"], body["load_average"]) == (2, 8 * DAYS, 2.1)
    assert (body["efficiency"], body["efficiency_method"], body["canceled"]) == (0.875, "ratio-of-sums", 1)
    cfd = client.get(
        "/api/v1/insights/flow/cfd", params={"start": day(10).isoformat(), "end": day(12).isoformat()}, headers=viewer
    )
    assert [d["counts"] for d in cfd.json()["days"]] == [
        {"new": 3, "waiting": 1, "active": 1, "done": 1, "canceled": 0},
        {"new": 2, "waiting": 1, "active": 2, "done": 1, "canceled": 0},
    ]
    vsm = client.get("/api/v1/insights/value-stream-map", params={"epic": keys["main"]}, headers=viewer)
    assert vsm.status_code == 200 and [s["key"] for s in vsm.json()["stages"]][:2] == ["funnel", "reviewing"]
    lead = client.get("/api/v1/insights/value-lead-time", params={"epic": keys["main"]}, headers=viewer)
    assert lead.status_code == 200 and lead.json()["epics"][0]["epic"] == keys["main"]


def test_bad_flow_input_is_a_problem_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    flow_data(runtime)
    viewer = make_user(runtime, "vic", Role.VIEWER).headers
    for params, field in (
        ({"team": "nobody"}, "team"),
        ({"value_stream": "nowhere"}, "value_stream"),
        ({"team": "flight-software", "value_stream": "x"}, "value_stream"),
        ({"start": day(20).isoformat(), "end": day(10).isoformat()}, "start"),
        ({"level": "task"}, "query.level"),
        ({"start": "yesterday"}, "query.start"),
    ):
        answer = client.get("/api/v1/insights/flow", params=params, headers=viewer)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["errors"][0]["field"] == field
    for path in ("/api/v1/insights/value-stream-map", "/api/v1/insights/value-lead-time"):
        answer = client.get(path, params={"epic": "EPIC-404"}, headers=viewer)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "epic"
    assert client.get("/api/v1/insights/flow").status_code == 401
