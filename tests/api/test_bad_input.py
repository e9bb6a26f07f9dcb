"""Bad input gets a 4xx problem JSON naming the problem, never a 500, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from tests.factories import MadeUser, actor_of, made_by_the_product, make_user
from tests.telemetry.builders import make_service


def _admin(runtime: Runtime) -> MadeUser:
    return make_user(runtime, "ada", Role.ADMIN)


def _usernames(client: TestClient, admin: MadeUser) -> list[str]:
    return [u["username"] for u in client.get("/api/v1/users", headers=admin.headers).json()["items"]]


def test_malformed_json(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post(
        "/api/v1/users",
        headers={**admin.headers, "Content-Type": "application/json"},
        content=b'{"username": "bob", "role": ',
    )
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Malformed JSON" and "not valid JSON" in body["detail"]
    assert _usernames(client, admin) == ["ada"]


def test_wrong_type_is_not_coerced(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/tokens", headers=admin.headers, json={"name": "x", "expires_in_days": "30"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.expires_in_days"}


def test_unknown_field_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post(
        "/api/v1/users", headers=admin.headers, json={"username": "bob", "role": "viewer", "is_superuser": True}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] == [{"field": "body.is_superuser", "reason": "Extra inputs are not permitted"}]
    assert _usernames(client, admin) == ["ada"]


def test_invalid_enum_and_pattern_name_their_fields(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/users", headers=admin.headers, json={"username": "Bad Name!", "role": "king"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body.username", "body.role"}


def test_over_limit_body_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    huge = {"username": "bob", "role": "viewer", "display_name": "x" * (runtime.settings.max_body_bytes + 10)}
    response = client.post("/api/v1/users", headers=admin.headers, json=huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "exceeds the limit" in response.json()["detail"]
    assert _usernames(client, admin) == ["ada"]


def test_streamed_body_over_limit_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    chunk = b"x" * 65536

    def stream() -> Iterator[bytes]:
        for _ in range(runtime.settings.max_body_bytes // len(chunk) + 2):
            yield chunk

    response = client.post(
        "/api/v1/users", headers={**admin.headers, "Content-Type": "application/json"}, content=stream()
    )
    assert response.status_code == 413


def test_duplicate_is_a_conflict(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/users", headers=admin.headers, json={"username": "ada", "role": "viewer"})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_unknown_route_and_object(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    assert client.get("/api/v1/users/nobody", headers=admin.headers).json()["status"] == 404
    missing = client.get("/api/v1/nothing-here", headers=admin.headers)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_bad_paging_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.get("/api/v1/users", headers=admin.headers, params={"limit": 5000})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.limit"


# --- ids no row can have, nesting, NUL characters, methods, imports (issue 10) --------------------------------

HUGE_IDS = ("9223372036854775808", "18446744073709551617", "2147483648", "0", "-1")


def test_out_of_range_ids_are_not_found_for_every_role(client: TestClient, runtime: Runtime) -> None:
    admin, viewer = _admin(runtime), make_user(runtime, "vic", Role.VIEWER)
    for huge in HUGE_IDS:
        for method, url, body in (
            ("GET", f"/api/v1/runs/{huge}", None),
            ("POST", f"/api/v1/runs/{huge}/cancel", None),
            ("GET", f"/api/v1/runs/1/steps/{huge}/log", None),
            ("GET", f"/api/v1/runs/{huge}/steps/1/log", None),
            ("POST", f"/api/v1/runs/{huge}/steps/{huge}/retry", None),
            ("GET", f"/api/v1/deployments/{huge}", None),
            ("POST", f"/api/v1/deployments/{huge}/approve", {"comment": "go"}),
            ("POST", f"/api/v1/deployments/{huge}/reject", {"comment": "no"}),
            ("GET", f"/api/v1/interactions/{huge}", None),
            ("DELETE", f"/api/v1/interactions/{huge}", None),
        ):
            for who in (admin, viewer):
                response = client.request(method, url, headers=who.headers, json=body)
                assert response.status_code == 404, (who.username, method, url, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["status"] == 404
    # Still 401 for nobody: the id does not tell an anonymous caller anything.
    assert client.get(f"/api/v1/runs/{HUGE_IDS[0]}").status_code == 401


def test_a_path_id_that_is_no_number_is_not_found(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.get("/api/v1/deployments/abc", headers=admin.headers)
    assert response.status_code == 404 and "deployment_id" in response.json()["detail"]


def _nested(depth: int) -> bytes:
    return b'{"a": ' * depth + b"1" + b"}" * depth


def test_json_nested_too_deep_is_malformed_everywhere(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    json_headers = {**admin.headers, "Content-Type": "application/json"}
    deep_list = b"[" * 1000 + b"]" * 1000
    for url, headers in (
        ("/api/v1/users", json_headers),
        ("/api/v1/epics", json_headers),
        ("/ofrep/v1/evaluate/flags", {"Authorization": "Bearer nothing", "Content-Type": "application/json"}),
        ("/ofrep/v1/evaluate/flags/some-flag", {"Content-Type": "application/json"}),
        ("/api/v1/users", {**admin.headers}),  # no content type: read as JSON all the same
    ):
        for body in (deep_list, _nested(65), _nested(1000)):
            response = client.post(url, headers=headers, content=body)
            assert response.status_code == 400, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "deeper than 64 levels" in response.json()["detail"]
    assert _usernames(client, admin) == ["ada"]


def test_brackets_inside_strings_do_not_count_as_nesting(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    title = '[{"\\' * 40  # brackets, quotes and escapes inside one JSON string
    response = client.post("/api/v1/epics", headers=admin.headers, json={"title": title})
    assert response.status_code == 201, response.text
    assert response.json()["title"] == title
    within = client.post(
        "/api/v1/users", headers={**admin.headers, "Content-Type": "application/json"}, content=_nested(64)
    )
    assert within.status_code == 422  # parsed, then refused for what it holds, not for its depth


def test_nul_characters_are_refused_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    response = client.post("/api/v1/epics", headers=admin.headers, json={"title": "Heavy\x00lift"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body.title", "reason": "Value error, must not contain NUL characters"}
    ]
    assert client.get("/api/v1/epics", headers=admin.headers).json()["items"] == []
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        catalog.register_service(uow, ServiceCreate(key="engine-control", name="Engine control"))
    secret = client.put(
        "/api/v1/services/engine-control/secrets/TOKEN", headers=admin.headers, json={"value": "abcdefgh\x00ijkl"}
    )
    assert secret.status_code == 422 and secret.json()["errors"][0]["field"] == "body.value"
    assert client.get("/api/v1/services/engine-control/secrets", headers=admin.headers).json() == []
    for url in ("/api/v1/epics?q=a%00b", "/api/v1/services/engine%00control"):
        refused = client.get(url, headers=admin.headers)
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["reason"] == "must not contain NUL characters"


def test_method_not_allowed_names_every_allowed_method(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    for method, url, allowed in (
        ("DELETE", "/api/v1/users", "GET, POST"),  # GET and POST are declared as two routes
        ("PUT", "/api/v1/epics", "GET, POST"),
        ("POST", "/api/v1/deployments/1", "GET"),
        ("PUT", "/login", "GET, POST"),
    ):
        response = client.request(method, url, headers=admin.headers)
        assert response.status_code == 405, (method, url)
        assert response.headers["allow"] == allowed, (method, url)
    assert client.request("PATCH", "/api/v1/users", headers=admin.headers).headers["content-type"] == (
        "application/problem+json"
    )


def test_import_of_a_malformed_file_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    headers = {**admin.headers, "Content-Type": "application/json"}
    for body, field in ((b"{oops", "file"), (b"42", "file"), (b'{"epics": 3}', "epics")):
        response = client.post("/api/v1/epics/import", headers=headers, content=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field
    good = client.post("/api/v1/epics/import", headers=headers, json={"epics": [{"title": "Heavy-lift drones"}]})
    assert good.status_code == 200 and good.json()["epics"] == 1


# Each time a client may send in a query, with a value in the year 1 an hour east of UTC: before, these
# overflowed converting to UTC or to the telemetry's nanoseconds and answered 500.
OUT_OF_RANGE_TIMES = [
    ("/api/v1/insights/flow", {"start": "0001-01-01T00:00:00+01:00"}, "query.start"),
    ("/api/v1/insights/flow/cfd", {"end": "0001-01-02T00:00:00Z"}, "query.end"),
    ("/api/v1/insights/dora", {"start": "0001-01-01T00:00:00+01:00"}, "query.start"),
    ("/api/v1/insights/dora", {"end": "9999-12-31T23:00:00-01:00"}, "query.end"),
    ("/api/v1/telemetry/query", {"q": "sum(red.requests[5m])", "at": "0001-01-01T00:00:00Z"}, "query.at"),
    ("/api/v1/telemetry/range", {"metric": "red.requests", "start": "0001-01-01T00:00:00Z"}, "query.start"),
    ("/api/v1/business/feedback", {"service": "shop", "since": "0001-01-01T00:00:00+01:00"}, "query.since"),
]


def test_a_time_parameter_outside_the_supported_years_is_refused_by_name(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    make_service(runtime, "shop")
    for path, params, field in OUT_OF_RANGE_TIMES:
        response = client.get(path, params=params, headers=admin.headers)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"] == [{"field": field, "reason": "must lie in the years 1970 to 2199"}]


def test_a_time_in_a_body_outside_the_supported_years_stores_nothing(client: TestClient, runtime: Runtime) -> None:
    admin = _admin(runtime)
    make_service(runtime, "shop")
    event = {"service": "shop", "kind": "units_sold", "count": 1, "at": "0001-01-01T00:00:00+01:00"}
    response = client.post("/api/v1/business/events", json=event, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "[0].at", "reason": "must lie in the years 1970 to 2199"}]
    summary = client.get("/api/v1/business/summary", params={"service": "shop"}, headers=admin.headers)
    assert summary.json()["units_sold"] == 0


def test_nan_and_infinity_are_refused_in_every_number_a_client_sends(client: TestClient, runtime: Runtime) -> None:
    """Python's JSON reader takes NaN and Infinity; PostgreSQL's JSON refuses them and no figure means them. A
    targeting rule in dev applies at once, so a value that got through would be stored."""
    admin = _admin(runtime)
    made_by_the_product(client, runtime, admin)
    flag = "/api/v1/services/engine-control/flags/heavy-lift-mode"
    before = client.get(flag, headers=admin.headers).json()
    for number in ("NaN", "Infinity", "-Infinity"):
        rule = f'{{"conditions": [{{"attribute": "weight", "operator": "gt", "values": [{number}]}}], '
        rule += '"serve": {"variant": "on"}}'
        response = client.post(
            f"{flag}/environments/dev/changes",
            headers={**admin.headers, "Content-Type": "application/json"},
            content=f'{{"enabled": true, "rules": [{rule}]}}'.encode(),
        )
        assert response.status_code == 422, response.text
        finite = {"field": "body.rules.0.conditions.0.values.0.float", "reason": "Input should be a finite number"}
        assert finite in response.json()["errors"]
    assert client.get(flag, headers=admin.headers).json() == before


def test_a_log_cursor_past_any_chunk_is_refused_by_name(client: TestClient, runtime: Runtime) -> None:
    """Before, a cursor over 2^31 - 1 overflowed PostgreSQL's integer and answered 500."""
    admin = _admin(runtime)
    response = client.get("/api/v1/runs/1/steps/1/log", params={"cursor": 2**31}, headers=admin.headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]
