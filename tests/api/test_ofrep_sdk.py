"""The real OpenFeature Python SDK with the generic OFREP provider, unchanged, against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from digital_factory.releases import evaluation
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange
from tests.browser import LiveServer
from tests.factories import actor_of
from tests.releases.builders import SERVICE, flight_control, make_flag


def _configure(server: LiveServer, flag: str, **fields: Any) -> None:
    with server.runtime.store.unit_of_work(actor_of(server.runtime, "pm")) as uow:
        releases.request_change(uow, SERVICE, flag, "dev", FlagChange.model_validate(fields))


@pytest.fixture
def seeded(live_server: LiveServer) -> str:
    """flight-control's dev flags on the live server; returns a dev client key."""
    flight_control(live_server.runtime)
    make_flag(live_server.runtime, key="heavy-lift-mode")
    make_flag(live_server.runtime, key="battery-profile", type="string", variants={"standard": "s", "extended": "e"})
    make_flag(live_server.runtime, key="max-payload-kg", type="float", variants={"standard": 2, "heavy": 7.5})
    make_flag(
        live_server.runtime,
        key="engine-tuning",
        type="object",
        variants={"eco": {"rpm": 9000}, "boost": {"rpm": 12000}},
    )
    make_flag(live_server.runtime, key="retries", type="integer", variants={"few": 2, "many": 5})
    _configure(live_server, "heavy-lift-mode", enabled=True,
               default={"rollout": [{"variant": "on", "percent": 30}, {"variant": "off", "percent": 70}]})  # fmt: skip
    pro = {"conditions": [{"attribute": "plan", "operator": "equals", "values": ["pro"]}]}
    new_app = {"conditions": [{"attribute": "appVersion", "operator": "semver_gte", "values": ["2.4.0"]}]}
    _configure(live_server, "battery-profile", enabled=True, rules=[{**pro, "serve": {"variant": "extended"}}])
    _configure(live_server, "max-payload-kg", enabled=True, rules=[{**new_app, "serve": {"variant": "heavy"}}])
    _configure(live_server, "engine-tuning", enabled=True, default={"variant": "boost"})
    _configure(live_server, "retries", enabled=True, default={"variant": "many"})
    with live_server.runtime.store.unit_of_work(actor_of(live_server.runtime, "flight")) as uow:
        return releases.create_client_key(uow, live_server.runtime.digester, SERVICE, "dev").secret


def _client(server: LiveServer, key: str, domain: str) -> OpenFeatureClient:
    provider = OFREPProvider(server.url, headers_factory=lambda: {"Authorization": f"Bearer {key}"}, timeout=5.0)
    api.set_provider_and_wait(provider, domain)  # initialized in a thread: not ready straight after set_provider
    return api.get_client(domain)


@pytest.fixture
def sdk() -> Iterator[None]:
    yield
    api.clear_providers()


@pytest.mark.usefixtures("sdk")
def test_the_sdk_gets_the_right_variant_for_each_context(live_server: LiveServer, seeded: str) -> None:
    client = _client(live_server, seeded, "releases-sdk")
    for drone in ("drone-1", "drone-2", "drone-3", "drone-17", "drone-99"):
        details = client.get_boolean_details("heavy-lift-mode", False, EvaluationContext(targeting_key=drone))
        expected = evaluation.bucket("heavy-lift-mode", drone) < 3000
        assert details.error_code is None, (drone, details.error_message)
        assert (details.value, details.variant, details.reason) == (expected, "on" if expected else "off", Reason.SPLIT)

    pro = EvaluationContext(targeting_key="drone-1", attributes={"plan": "pro", "appVersion": "2.4.1"})
    free = EvaluationContext(targeting_key="drone-2", attributes={"plan": "free", "appVersion": "2.3.9"})
    assert client.get_string_value("battery-profile", "none", pro) == "e"
    assert client.get_string_details("battery-profile", "none", free).reason == Reason.DEFAULT
    assert client.get_string_value("battery-profile", "none", free) == "s"
    assert client.get_float_value("max-payload-kg", 0.0, pro) == 7.5
    assert client.get_float_value("max-payload-kg", 0.0, free) == 2.0
    assert client.get_object_value("engine-tuning", {}, free) == {"rpm": 12000}
    assert client.get_integer_value("retries", 0, free) == 5


@pytest.mark.usefixtures("sdk")
def test_the_sdk_sees_the_protocol_errors(live_server: LiveServer, seeded: str) -> None:
    client = _client(live_server, seeded, "releases-errors")
    context = EvaluationContext(targeting_key="drone-1")
    unknown = client.get_boolean_details("no-such-flag", True, context)
    assert (unknown.value, unknown.error_code, unknown.reason) == (True, ErrorCode.FLAG_NOT_FOUND, Reason.ERROR)

    keyless = client.get_boolean_details("heavy-lift-mode", False, EvaluationContext(attributes={"plan": "pro"}))
    assert (keyless.value, keyless.error_code) == (False, ErrorCode.TARGETING_KEY_MISSING)
    assert "targetingKey" in (keyless.error_message or "")

    mismatch = client.get_string_details("heavy-lift-mode", "x", context)
    assert (mismatch.value, mismatch.error_code) == ("x", ErrorCode.TYPE_MISMATCH)

    wrong = _client(live_server, seeded[:-7] + "AAAAAAA", "releases-wrong-key")
    refused = wrong.get_boolean_details("heavy-lift-mode", False, context)
    assert (refused.value, refused.error_code, refused.error_message) == (False, ErrorCode.GENERAL, "unauthorized")
    with live_server.runtime.store.unit_of_work(actor_of(live_server.runtime, "flight")) as uow:
        other = releases.create_client_key(uow, live_server.runtime.digester, SERVICE, "dev").secret
        releases.revoke_client_key(uow, other[5:17])
    revoked = _client(live_server, other, "releases-revoked").get_boolean_details("heavy-lift-mode", False, context)
    assert (revoked.error_code, revoked.error_message) == (ErrorCode.GENERAL, "unauthorized")


@pytest.mark.usefixtures("sdk")
def test_the_sdk_backs_off_after_429(live_server: LiveServer, seeded: str) -> None:
    live_server.runtime.flags.limiter.configure(rate=0.01, burst=1)
    client = _client(live_server, seeded, "releases-limited")
    context = EvaluationContext(targeting_key="drone-1")
    assert client.get_integer_details("retries", 0, context).value == 5
    limited = client.get_integer_details("retries", 0, context)
    assert (limited.value, limited.error_code) == (0, ErrorCode.GENERAL)
    assert "Rate limited, retry after: 100" in (limited.error_message or "")
    paused = client.get_integer_details("retries", 0, context)
    assert "paused" in (paused.error_message or "")  # the provider waits; it did not call again
