"""The query API over the metric store: indicator values, range lines, series and bad input."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.telemetry.points import MetricKind, Point
from tests.factories import make_user
from tests.telemetry.builders import NANOS, make_service, write


def _recent_sales(runtime: Runtime, now: int) -> str:
    service = make_service(runtime)
    write(
        runtime,
        service,
        [
            Point("business.units_sold", MetricKind.COUNTER, (("product", p),), now - i * 60 * NANOS, 2)
            for i, p in enumerate(["heavy-lift", "heavy-lift", "light"])
        ],
    )
    return service


def test_a_viewer_reads_indicator_values_and_range_lines(client: TestClient, runtime: Runtime) -> None:
    moment = datetime.fromtimestamp(int(time.time()), tz=UTC)
    service = _recent_sales(runtime, int(moment.timestamp()) * NANOS)
    viewer = make_user(runtime, "vic", Role.VIEWER)
    answer = client.get(
        "/api/v1/telemetry/query",
        params={"q": 'sum(business.units_sold{product="heavy-lift"}[1h])'},
        headers=viewer.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["value"] == 4
    assert answer.json()["query"] == 'sum(business.units_sold{product="heavy-lift"}[1h])'
    now = moment
    lines = client.get(
        "/api/v1/telemetry/range",
        params={
            "metric": "business.units_sold",
            "start": (now - timedelta(minutes=10)).isoformat(),
            "end": (now + timedelta(minutes=10)).isoformat(),
            "step": 600,
            "by": "product",
            "match": f"service={service}",
        },
        headers=viewer.headers,
    )
    assert lines.status_code == 200, lines.text
    assert [(s["labels"], [p["value"] for p in s["points"]]) for s in lines.json()["series"]] == [
        ({"product": "heavy-lift"}, [2, 2]),
        ({"product": "light"}, [2, 0]),
    ]
    series = client.get(f"/api/v1/telemetry/services/{service}/series", headers=viewer.headers).json()
    assert sorted(s["attributes"]["product"] for s in series) == ["heavy-lift", "light"]
    assert client.get("/api/v1/telemetry/metrics", headers=viewer.headers).json() == ["business.units_sold"]


def test_bad_queries_are_problems_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    viewer = make_user(runtime, "vic", Role.VIEWER)
    bad = client.get("/api/v1/telemetry/query", params={"q": "sum(units[30x])"}, headers=viewer.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "q" and "unit" in bad.json()["errors"][0]["reason"]
    wide = client.get(
        "/api/v1/telemetry/range",
        params={"metric": "m", "start": "2020-01-01T00:00:00Z", "step": 1},
        headers=viewer.headers,
    )
    assert wide.status_code == 422 and wide.json()["errors"][0]["field"] == "step"
    matcher = client.get(
        "/api/v1/telemetry/range",
        params={"metric": "m", "start": "2026-12-01T00:00:00Z", "step": 3600, "match": "nolabel"},
        headers=viewer.headers,
    )
    assert matcher.status_code == 422 and matcher.json()["errors"][0]["field"] == "match"
    assert client.get("/api/v1/telemetry/query", params={"q": "sum(x[1d])"}).status_code == 401
