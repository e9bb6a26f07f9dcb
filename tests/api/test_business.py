"""/business over HTTP: events and uploads all or nothing, idempotency, who may send, summary and feedback."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, create_app
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceUpdate
from digital_factory.core.actor import system_actor
from digital_factory.settings import Settings
from tests.delivery.owners import owning_team
from tests.factories import MadeUser, make_user
from tests.telemetry.builders import make_service

AN_HOUR_AGO = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()


def _world(runtime: Runtime) -> MadeUser:
    make_service(runtime, "fleet-api")
    make_service(runtime, "shop")
    return make_user(runtime, "ada", Role.ADMIN)


def _sum(client: TestClient, user: MadeUser, query: str) -> Any:
    answer = client.get("/api/v1/telemetry/query", params={"q": query}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


def _event(**fields: Any) -> dict[str, Any]:
    return {"service": "fleet-api", "at": AN_HOUR_AGO, **fields}


def test_events_are_recorded_and_a_bad_one_refuses_the_request(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    one = client.post(
        "/api/v1/business/events",
        json=_event(kind="units_sold", count=3, attributes={"product": "heavy-lift"}),
        headers=ada.headers,
    )
    assert one.status_code == 200, one.text
    assert one.json() == {"events": 1, "accepted": 1, "duplicates": 0}
    bad = [_event(kind="units_sold", count=2), _event(kind="csat", score=9), _event(kind="revenue", amount=5)]
    refused = client.post("/api/v1/business/events", json=bad, headers=ada.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": "[1].score", "reason": "must be a whole number from 1 to 5"},
        {"field": "[2].currency", "reason": "is required for a revenue event"},
    ]
    assert _sum(client, ada, 'sum(business.units_sold{product="heavy-lift"}[1d])') == 3
    assert _sum(client, ada, "sum(business.units_sold[1d])") == 3


def test_idempotency_key_replays_and_conflicts(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    body = [_event(kind="units_sold", count=2, id="o-1"), _event(kind="units_sold", count=5, id="o-2")]
    headers = {**ada.headers, "Idempotency-Key": "upload-7"}
    first = client.post("/api/v1/business/events", json=body, headers=headers)
    again = client.post("/api/v1/business/events", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"events": 2, "accepted": 2, "duplicates": 0}
    other = client.post("/api/v1/business/events", json=body[:1], headers=headers)
    assert other.status_code == 409, other.text
    assert other.json()["rule"] == "Idempotency-Key"
    assert "Idempotency-Key 'upload-7' was used before with a different body" in other.json()["detail"]
    assert _sum(client, ada, "sum(business.units_sold[1d])") == 7


def test_csv_and_json_lines_uploads_refuse_a_bad_row_and_store_nothing(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    csv_text = (
        "kind,service,at,count,score,feedback,attr.product\n"
        f"units_sold,fleet-api,{AN_HOUR_AGO},4,,,heavy-lift\n"
        f"csat,fleet-api,{AN_HOUR_AGO},,7,Too loud,\n"
        f"units_sold,nowhere,{AN_HOUR_AGO},1,,,\n"
    )
    csv_answer = _upload(client, ada, csv_text, "text/csv")
    assert csv_answer.status_code == 422, csv_answer.text
    assert csv_answer.json()["errors"] == [
        {"field": "row 2: score", "reason": "must be a whole number from 1 to 5"},
        {"field": "row 3: service", "reason": "no service with the key 'nowhere'"},
    ]
    lines = "\n".join([json.dumps(_event(kind="nps", score=9)), "{not json", json.dumps(_event(kind="nps", score="9"))])
    jsonl_answer = _upload(client, ada, lines, "application/x-ndjson")
    assert jsonl_answer.status_code == 422, jsonl_answer.text
    assert [e["field"] for e in jsonl_answer.json()["errors"]] == ["row 2", "row 3: score"]
    assert _sum(client, ada, "count(business.units_sold[1d])") is None
    assert _sum(client, ada, "count(customer.nps.response[1d])") is None
    good = csv_text.rsplit("units_sold,nowhere", 1)[0].replace(",,7,Too loud,", ",,2,Too loud,")
    stored = _upload(client, ada, good, "text/csv; charset=utf-8")
    assert stored.json() == {"events": 2, "accepted": 2, "duplicates": 0}
    feedback = client.get("/api/v1/business/feedback", params={"service": "fleet-api"}, headers=ada.headers).json()
    assert [(f["kind"], f["score"], f["text"], f["environment"]) for f in feedback] == [
        ("csat", 2.0, "Too loud", "prod")
    ]


def _upload(client: TestClient, user: MadeUser, text: str, content_type: str) -> Any:
    headers = {**user.headers, "Content-Type": content_type}
    return client.post("/api/v1/business/events:bulk", content=text.encode(), headers=headers)


def test_a_hundred_thousand_row_csv_is_accepted(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    rows = ["kind,service,at,count,attr.product"]
    rows += [
        f"units_sold,fleet-api,{(start + timedelta(seconds=i)).isoformat()},{1 + i % 3},p{i % 4}"
        for i in range(100_000)
    ]
    answer = _upload(client, ada, "\n".join(rows), "text/csv")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json() == {"events": 100_000, "accepted": 100_000, "duplicates": 0}
    expected = sum(1 + i % 3 for i in range(100_000))
    assert _sum(client, ada, "sum(business.units_sold[7d])") == expected
    assert _sum(client, ada, 'sum(business.units_sold{product="p1"}[7d])') == sum(
        1 + i % 3 for i in range(1, 100_000, 4)
    )


def test_only_owners_with_telemetry_write_or_the_services_ingestion_key_send(
    client: TestClient, runtime: Runtime
) -> None:
    ada = _world(runtime)
    pia = make_user(runtime, "pia", Role.PLATFORM)
    otto = make_user(runtime, "otto", Role.PLATFORM)
    owning_team(runtime, "pia", key="drones")
    owning_team(runtime, "otto", key="others")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.update_service(uow, "fleet-api", ServiceUpdate(owner_team="drones"))
    event = _event(kind="units_sold", count=1)
    assert client.post("/api/v1/business/events", json=event, headers=pia.headers).status_code == 200
    refused = client.post("/api/v1/business/events", json=event, headers=otto.headers)
    assert refused.status_code == 403, refused.text
    assert "members of the team drones" in refused.json()["detail"]
    key = client.post("/api/v1/services/shop/ingestion-keys", json={"name": "shop"}, headers=ada.headers).json()
    by_key = {"Authorization": f"Bearer {key['secret']}"}
    other = client.post("/api/v1/business/events", json=event, headers=by_key)
    assert other.status_code == 403, other.text
    assert "the ingestion key of shop sends only its own service's data" in other.json()["detail"]
    own = client.post("/api/v1/business/events", json={**event, "service": "shop"}, headers=by_key)
    assert own.json() == {"events": 1, "accepted": 1, "duplicates": 0}
    forged = {"Authorization": "Bearer dfik_aaaaaaaaaaaa_" + "a" * 50}
    assert client.post("/api/v1/business/events", json=event, headers=forged).status_code == 401
    assert client.post("/api/v1/business/events", json=event).status_code == 401


def test_summary_reports_units_revenue_csat_and_nps(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    events = [
        _event(kind="units_sold", count=4, amount=100, currency="EUR"),
        _event(kind="revenue", amount=30, currency="CHF"),
        *(_event(kind="csat", score=s, id=f"c{i}") for i, s in enumerate([5, 4, 2, 1])),
        *(_event(kind="nps", score=s, id=f"n{i}") for i, s in enumerate([10, 9, 7, 3, 0])),
    ]
    assert client.post("/api/v1/business/events", json=events, headers=ada.headers).status_code == 200
    answer = client.get("/api/v1/business/summary", params={"service": "fleet-api"}, headers=ada.headers)
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["units_sold"] == 4
    assert summary["revenue"] == [{"currency": "CHF", "amount": 30}, {"currency": "EUR", "amount": 100}]
    assert (summary["csat_responses"], summary["csat_percent"], summary["csat_average"]) == (4, 50, 3)
    assert (summary["nps_responses"], summary["nps"]) == (5, 0)
    assert (summary["nps_promoters"], summary["nps_passives"], summary["nps_detractors"]) == (2, 1, 2)
    unknown = client.get("/api/v1/business/summary", params={"service": "nope"}, headers=ada.headers)
    assert unknown.status_code == 404


def test_an_upload_of_another_type_is_refused(client: TestClient, runtime: Runtime) -> None:
    ada = _world(runtime)
    answer = _upload(client, ada, "<xml/>", "application/xml")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "Content-Type"


def test_uploads_have_their_own_body_limit(settings: Settings, runtime: Runtime) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1_048_576, "max_body_bytes": 4096})
    ada = _world(runtime)
    row = f"units_sold,fleet-api,{AN_HOUR_AGO},1\n"
    limited = replace(runtime, settings=small)
    with TestClient(create_app(small, runtime=limited), base_url="http://testserver") as client:
        fits = "kind,service,at,count\n" + row * 200  # over the API's 4 KiB, under the upload limit
        assert _upload(client, ada, fits, "text/csv").json()["events"] == 200
        refused = _upload(client, ada, "kind,service,at,count\n" + row * 40_000, "text/csv")
        assert refused.status_code == 413, refused.text[:200]
        assert "exceeds the limit of 1048576 bytes" in refused.json()["detail"]
        assert client.post("/api/v1/business/events", content=fits.encode(), headers=ada.headers).status_code == 413
