"""OFREP on its standard paths: bodies, error codes, ETag / 304, client keys, rate limits, counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime, build_runtime, create_app
from digital_factory.core.errors import Unauthenticated
from digital_factory.releases import queries
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange
from digital_factory.settings import Settings
from tests.conftest import TEST_PUBLIC_URL
from tests.factories import MadeUser, actor_of
from tests.releases.builders import SERVICE, flight_control, make_flag

SINGLE = "/ofrep/v1/evaluate/flags/"
BULK = "/ofrep/v1/evaluate/flags"


def configure(runtime: Runtime, flag: str, environment: str, **fields: Any) -> None:
    by = "flight" if environment == "prod" else "pm"
    with runtime.store.unit_of_work(actor_of(runtime, by)) as uow:
        releases.request_change(uow, SERVICE, flag, environment, FlagChange.model_validate(fields))


def client_key(client: TestClient, user: MadeUser, environment: str) -> dict[str, str]:
    response = client.post(
        f"/api/v1/services/{SERVICE}/client-keys", headers=user.headers, json={"environment": environment}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['secret']}"}


@pytest.fixture
def flags(client: TestClient, runtime: Runtime) -> dict[str, MadeUser]:
    people = flight_control(runtime)
    make_flag(runtime, key="heavy-lift-mode", feature="FEAT-3")
    make_flag(runtime, key="battery-profile", type="string", variants={"standard": "standard", "extended": "extended"})
    make_flag(runtime, key="max-payload-kg", type="float", variants={"standard": 2, "heavy": 7.5})
    make_flag(runtime, key="engine-tuning", type="object", variants={"eco": {"rpm": 9000}, "boost": {"rpm": 12000}})
    make_flag(runtime, key="retries", type="integer", variants={"few": 2, "many": 5})
    rollout = {"rollout": [{"variant": "on", "percent": 50}, {"variant": "off", "percent": 50}]}
    configure(runtime, "heavy-lift-mode", "dev", enabled=True, default=rollout)
    rule = {
        "conditions": [{"attribute": "plan", "operator": "in", "values": ["pro", "fleet"]}],
        "serve": {"variant": "extended"},
    }
    configure(runtime, "battery-profile", "dev", enabled=True, rules=[rule])
    configure(runtime, "max-payload-kg", "dev", enabled=True, default={"variant": "standard"})
    configure(runtime, "engine-tuning", "dev", enabled=True, default={"variant": "boost"})
    return people


def test_single_flag_bodies_follow_the_spec(client: TestClient, flags: dict[str, MadeUser]) -> None:
    key = client_key(client, flags["flight"], "dev")
    context = {"context": {"targetingKey": "drone-1", "plan": "pro"}}
    battery = client.post(SINGLE + "battery-profile", headers=key, json=context)
    assert battery.status_code == 200
    assert battery.headers["content-type"] == "application/json"
    assert battery.json() == {
        "key": "battery-profile",
        "value": "extended",
        "variant": "extended",
        "reason": "TARGETING_MATCH",
        "metadata": {"flagVersion": 1},
    }
    free = client.post(SINGLE + "battery-profile", headers=key, json={"context": {"plan": "free"}}).json()
    assert (free["variant"], free["reason"]) == ("standard", "DEFAULT")
    payload = client.post(SINGLE + "max-payload-kg", headers=key, json=context)
    assert payload.json()["value"] == 2.0 and b'"value":2.0' in payload.content  # a float stays a float
    assert client.post(SINGLE + "engine-tuning", headers=key, json={}).json()["value"] == {"rpm": 12000}
    off = client.post(SINGLE + "retries", headers=key, json=context).json()
    assert (off["value"], off["variant"], off["reason"]) == (2, "few", "DISABLED")
    split = client.post(SINGLE + "heavy-lift-mode", headers=key, json=context).json()
    assert split["reason"] == "SPLIT" and split["metadata"] == {"flagVersion": 1, "feature": "FEAT-3"}


def test_error_codes(client: TestClient, flags: dict[str, MadeUser]) -> None:
    key = client_key(client, flags["flight"], "dev")
    unknown = client.post(SINGLE + "no-such-flag", headers=key, json={"context": {"targetingKey": "a"}})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "key": "no-such-flag",
        "errorCode": "FLAG_NOT_FOUND",
        "errorDetails": "no flag 'no-such-flag' in this environment",
    }
    missing = client.post(SINGLE + "heavy-lift-mode", headers=key, json={"context": {"plan": "pro"}})
    assert missing.status_code == 400
    assert missing.json()["errorCode"] == "TARGETING_KEY_MISSING" and missing.json()["key"] == "heavy-lift-mode"
    not_needed = client.post(SINGLE + "battery-profile", headers=key, json={"context": {"plan": "pro"}})
    assert not_needed.status_code == 200
    cases = [
        (b"{not json", "PARSE_ERROR"),
        (b"[1, 2]", "PARSE_ERROR"),
        (b'{"context": "me"}', "INVALID_CONTEXT"),
        (b'{"context": {"targetingKey": 7}}', "INVALID_CONTEXT"),
    ]
    for body, code in cases:
        response = client.post(
            SINGLE + "battery-profile", headers={**key, "Content-Type": "application/json"}, content=body
        )
        assert (response.status_code, response.json()["errorCode"]) == (400, code), body
        assert response.json()["errorDetails"]
    bulk = client.post(BULK, headers={**key, "Content-Type": "application/json"}, content=b"{oops")
    assert bulk.status_code == 400 and set(bulk.json()) == {"errorCode", "errorDetails"}
    no_body = client.post(SINGLE + "battery-profile", headers=key)
    assert no_body.status_code == 200


def test_client_keys_authenticate_one_environment(
    client: TestClient, runtime: Runtime, flags: dict[str, MadeUser], caplog: pytest.LogCaptureFixture
) -> None:
    dev, prod = client_key(client, flags["flight"], "dev"), client_key(client, flags["flight"], "prod")
    body = {"context": {"targetingKey": "a"}}
    assert client.post(SINGLE + "engine-tuning", headers=dev, json=body).json()["reason"] == "STATIC"
    assert client.post(SINGLE + "engine-tuning", headers=prod, json=body).json()["reason"] == "DISABLED"
    refused = [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": f"Bearer {flags['pm'].token}"},  # an API token is not a client key
        {"Authorization": dev["Authorization"][:-3] + "AAA"},  # checksum broken
    ]
    for headers in refused:
        response = client.post(SINGLE + "engine-tuning", headers=headers, json=body)
        assert response.status_code == 401, headers
        assert response.json()["errorCode"] == "GENERAL"
    refusals = [r.getMessage() for r in caplog.records if "client key refused" in r.getMessage()]
    assert len(refusals) == 3 and not any(
        "dffk_" in message for message in refusals
    )  # the empty header is not an attempt
    assert client.post(BULK, headers={"X-API-Key": dev["Authorization"][7:]}, json=body).status_code == 200
    assert (
        client.post(
            f"/api/v1/services/{SERVICE}/client-keys", headers=flags["vic"].headers, json={"environment": "dev"}
        ).status_code
        == 403
    )

    public_id = client.get(f"/api/v1/services/{SERVICE}/client-keys", headers=flags["vic"].headers,
                           params={"environment": "dev"}).json()[0]["public_id"]  # fmt: skip
    assert client.post(f"/api/v1/client-keys/{public_id}/revoke", headers=flags["flight"].headers).status_code == 200
    assert client.post(SINGLE + "engine-tuning", headers=dev, json=body).status_code == 401
    with runtime.store.engine.connect() as connection:
        stored = [" ".join(map(str, row)) for row in connection.execute(text("SELECT * FROM releases_client_key"))]
    assert stored and not any(dev["Authorization"][7:] in row or prod["Authorization"][7:] in row for row in stored)


def test_bulk_evaluation_with_etag_and_304(client: TestClient, runtime: Runtime, flags: dict[str, MadeUser]) -> None:
    key = client_key(client, flags["flight"], "dev")
    context = {"context": {"targetingKey": "drone-1", "plan": "pro"}}
    first = client.post(BULK, headers=key, json=context)
    assert first.status_code == 200
    etag = first.headers["etag"]
    by_key = {f["key"]: f for f in first.json()["flags"]}
    assert sorted(by_key) == ["battery-profile", "engine-tuning", "heavy-lift-mode", "max-payload-kg", "retries"]
    assert by_key["battery-profile"]["variant"] == "extended"
    again = client.post(BULK, headers={**key, "If-None-Match": etag}, json=context)
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = client.post(BULK, headers={**key, "If-None-Match": etag}, json={"context": {"plan": "free"}})
    assert other.status_code == 200 and other.headers["etag"] != etag
    failures = {f["key"]: f for f in other.json()["flags"]}
    assert failures["heavy-lift-mode"]["errorCode"] == "TARGETING_KEY_MISSING"  # partial success
    assert failures["battery-profile"]["variant"] == "standard"

    configure(runtime, "retries", "dev", enabled=True)
    changed = client.post(BULK, headers={**key, "If-None-Match": etag}, json=context)
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert {f["key"]: f for f in changed.json()["flags"]}["retries"]["reason"] == "STATIC"
    preflight = client.options(BULK, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and "If-None-Match" in preflight.headers["access-control-allow-headers"]
    assert changed.headers["access-control-expose-headers"] == "ETag, Retry-After"


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    tight = settings.model_copy(update={"ofrep_rate_limit": 0.5, "ofrep_burst": 3})
    rt = build_runtime(tight)
    with TestClient(create_app(tight, runtime=rt), base_url=TEST_PUBLIC_URL) as test_client:
        yield test_client, rt
    rt.store.dispose()


def test_rate_limit_per_client_key_answers_429_with_retry_after(limited: tuple[TestClient, Runtime]) -> None:
    client, runtime = limited
    people = flight_control(runtime)
    make_flag(runtime)
    dev, staging = client_key(client, people["flight"], "dev"), client_key(client, people["flight"], "staging")
    statuses = [client.post(SINGLE + "heavy-lift-mode", headers=dev, json={}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.post(BULK, headers=dev, json={})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
    assert refused.json()["errorCode"] == "GENERAL"
    assert client.post(SINGLE + "heavy-lift-mode", headers=staging, json={}).status_code == 200  # its own bucket


@pytest.fixture
def per_address(settings: Settings) -> Iterator[tuple[Runtime, Callable[[str], TestClient]]]:
    """An app whose addresses may send 3 requests, then one per 1,000 s (so no test is slow enough to see a
    token come back), beside the default per-key limit; and a test client for any client address."""
    tight = settings.model_copy(update={"ofrep_address_rate_limit": 0.001, "ofrep_address_burst": 3})
    rt = build_runtime(tight)
    app = create_app(tight, runtime=rt)
    with TestClient(app, base_url=TEST_PUBLIC_URL):
        yield rt, lambda address: TestClient(app, base_url=TEST_PUBLIC_URL, client=(address, 40000))
    rt.store.dispose()


def test_an_address_over_its_rate_is_refused_and_the_keys_other_users_are_not(
    per_address: tuple[Runtime, Callable[[str], TestClient]],
) -> None:
    runtime, from_address = per_address
    people = flight_control(runtime)
    make_flag(runtime)
    busy, quiet = from_address("198.51.100.7"), from_address("203.0.113.20")
    key = client_key(busy, people["flight"], "dev")
    statuses = [busy.post(SINGLE + "heavy-lift-mode", headers=key, json={}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = busy.post(SINGLE + "heavy-lift-mode", headers=key, json={})
    assert refused.headers["retry-after"] == "1000"
    assert refused.json() == {
        "key": "heavy-lift-mode",
        "errorCode": "GENERAL",
        "errorDetails": "too many requests from this address; retry in 1000 s",
    }
    assert [quiet.post(SINGLE + "heavy-lift-mode", headers=key, json={}).status_code for _ in range(3)] == [200] * 3
    assert busy.post(BULK, headers=key, json={}).status_code == 429  # the address, whatever the endpoint


def test_many_addresses_sharing_a_frontend_key_are_not_throttled(
    client: TestClient, runtime: Runtime, flags: dict[str, MadeUser]
) -> None:
    """Default limits: 300 browsers behind one frontend key, each evaluating a few flags."""
    key = client_key(client, flags["flight"], "dev")
    statuses: set[int] = set()
    for browser in range(300):
        at = TestClient(client.app, base_url=TEST_PUBLIC_URL, client=(f"198.18.{browser // 256}.{browser % 256}", 1))
        for flag in ("heavy-lift-mode", "battery-profile", "engine-tuning"):
            statuses.add(
                at.post(SINGLE + flag, headers=key, json={"context": {"targetingKey": f"b{browser}"}}).status_code
            )
        statuses.add(at.post(BULK, headers=key, json={"context": {"targetingKey": f"b{browser}"}}).status_code)
    assert statuses == {200}
    assert len(runtime.flags.address_limiter) == 300


def test_the_ofrep_lane_keeps_the_guards_of_every_request(client: TestClient, flags: dict[str, MadeUser]) -> None:
    key = client_key(client, flags["flight"], "dev")
    answer = client.post(SINGLE + "engine-tuning", headers=key, json={})
    assert answer.status_code == 200 and answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["access-control-allow-origin"] == "*"
    too_large = client.post(SINGLE + "engine-tuning", headers=key, content=b"{" + b" " * 1_048_576 + b"}")
    assert too_large.status_code == 413
    assert too_large.json()["type"] == "urn:digital-factory:problem:body-too-large"
    deep = client.post(SINGLE + "engine-tuning", headers=key, content=b'{"context":' + b"[" * 100 + b"]" * 100 + b"}")
    assert (deep.status_code, deep.json()["type"]) == (400, "urn:digital-factory:problem:malformed-json")
    wrong_method = client.get(SINGLE + "engine-tuning", headers=key)
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "OPTIONS, POST"
    assert wrong_method.json()["errorCode"] == "GENERAL"
    assert client.post(SINGLE + "engine-tuning/more", headers=key, json={}).status_code == 404  # not an OFREP path


def test_evaluations_are_counted_in_memory_and_flushed(
    client: TestClient, runtime: Runtime, flags: dict[str, MadeUser]
) -> None:
    key = client_key(client, flags["flight"], "dev")
    for plan in ("pro", "pro", "free"):
        client.post(SINGLE + "battery-profile", headers=key, json={"context": {"plan": plan}})
    client.post(BULK, headers=key, json={"context": {"plan": "fleet", "targetingKey": "x"}})
    with runtime.store.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM releases_evaluation_count")).scalar_one() == 0
    assert runtime.flags.flush() == 3 + 5
    runtime.flags.flush()
    response = client.get(
        f"/api/v1/services/{SERVICE}/flags/battery-profile/evaluations",
        headers=flags["vic"].headers,
        params={"environment": "dev"},
    )
    assert response.status_code == 200
    assert response.json()["totals"] == [{"variant": "extended", "count": 3}, {"variant": "standard", "count": 1}]
    client.post(SINGLE + "battery-profile", headers=key, json={"context": {"plan": "pro"}})
    runtime.flags.flush()
    totals = client.get(
        f"/api/v1/services/{SERVICE}/flags/battery-profile/evaluations",
        headers=flags["vic"].headers,
        params={"environment": "dev"},
    ).json()["totals"]
    assert totals[0] == {"variant": "extended", "count": 4}


def test_snapshots_stay_correct_across_server_processes(
    client: TestClient, runtime: Runtime, settings: Settings, flags: dict[str, MadeUser]
) -> None:
    """A second process on the same store sees a change once its refresh interval has passed."""
    key = client_key(client, flags["flight"], "dev")
    now = [1000.0]
    other = build_runtime(settings)
    try:
        from digital_factory.releases.serving import FlagServer

        other.flags = FlagServer(other.store, other.digester, refresh_seconds=1.0, monotonic=lambda: now[0])
        with TestClient(create_app(settings, runtime=other), base_url=TEST_PUBLIC_URL) as second:

            def reason() -> str:
                return str(second.post(SINGLE + "retries", headers=key, json={}).json()["reason"])

            assert reason() == "DISABLED"
            rebuilds = other.flags.rebuilds
            configure(runtime, "retries", "dev", enabled=True)  # through the first process
            assert reason() == "DISABLED"  # within the second: still its snapshot
            now[0] += 1.5
            assert reason() == "STATIC"
            assert other.flags.rebuilds == rebuilds + 1
            now[0] += 1.5
            assert reason() == "STATIC" and other.flags.rebuilds == rebuilds + 1  # revision unchanged: no rebuild
    finally:
        other.store.dispose()


def test_the_last_snapshot_keeps_serving_when_the_store_is_down(
    client: TestClient, runtime: Runtime, flags: dict[str, MadeUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = client_key(client, flags["flight"], "dev")
    assert client.post(SINGLE + "engine-tuning", headers=key, json={}).status_code == 200
    runtime.flags.refresh_seconds = 0  # check the store on every request

    def down(*_: object) -> None:
        raise OperationalError("SELECT revision", {}, Exception("connection refused"))

    monkeypatch.setattr(queries, "revision_mark", down)
    monkeypatch.setattr(queries, "key_record", down)
    served = client.post(SINGLE + "engine-tuning", headers=key, json={})
    assert served.status_code == 200 and served.json()["value"] == {"rpm": 12000}


def test_a_key_is_checked_against_the_store_once_per_refresh(
    client: TestClient, runtime: Runtime, flags: dict[str, MadeUser]
) -> None:
    """Requests that find a key's grant stale wait for one check; the ones after it are served from memory."""
    secret = client_key(client, flags["flight"], "dev")["Authorization"][7:]
    now = [100.0]
    server = releases.FlagServer(runtime.store, runtime.digester, refresh_seconds=1.0, monotonic=lambda: now[0])
    statements: list[str] = []
    event.listen(runtime.store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert server.grant_from_cache(secret) is None
    first = server.lookup(secret)
    assert statements and server.grant_from_cache(secret) is first
    statements.clear()
    assert server.lookup(secret) is first and statements == []  # a waiter finds it checked
    now[0] += 1.0
    assert server.grant_from_cache(secret) is None
    again = server.lookup(secret)
    assert again is not first and again.key_id == first.key_id and statements
    with pytest.raises(Unauthenticated):
        server.grant_from_cache(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
