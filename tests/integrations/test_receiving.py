"""The same delivery arriving twice at once (a sender's retry racing its original) is stored once: one
receiver records it, the other answers duplicate, on SQLite (writers queue) and PostgreSQL (the unique
index decides)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Unauthenticated
from digital_factory.delivery.service import SecretBox
from digital_factory.integrations import service as integrations
from digital_factory.integrations.schemas import Receipt
from tests.integrations.world import hook, member, service, signature, stored


def test_a_racing_retry_is_stored_once(client: TestClient, runtime: Runtime) -> None:
    target = hook(client, member(runtime), "github", service(runtime, "raced"), "o/r")
    deployment = {"id": 1, "sha": "1" * 40, "environment": "production", "created_at": "2026-01-01T00:00:00Z"}
    body = json.dumps({"repository": {"full_name": "o/r"}, "deployment": deployment}).encode()
    headers = {
        "x-github-event": "deployment",
        "x-github-delivery": "raced-1",
        "x-hub-signature-256": signature(target.secret, body),
    }
    start = threading.Barrier(4)

    def deliver(_: int) -> Receipt:
        start.wait()
        with runtime.store.unit_of_work(system_actor("github-hook")) as uow:
            box = runtime.delivery.secret_box
            return integrations.receive(uow, box, "github", target.public_id, headers=headers, body=body)

    with ThreadPoolExecutor(4) as pool:
        receipts = list(pool.map(deliver, range(4)))
    assert sorted(r.duplicate for r in receipts) == [False, True, True, True]
    assert stored(runtime) | {"changes": 0} == {
        "deliveries": 1,
        "changes": 0,
        "runs": 0,
        "deployments": 1,
        "incidents": 0,
    }


def test_a_secret_sealed_under_another_server_key_is_refused_not_crashed(client: TestClient, runtime: Runtime) -> None:
    target = hook(client, member(runtime), "gitlab", service(runtime, "rekeyed"), "g/p")
    other_box = SecretBox("a-different-server-key")
    headers = {"x-gitlab-event": "Push Hook", "x-gitlab-token": target.secret}
    with runtime.store.unit_of_work(system_actor("gitlab-hook")) as uow, pytest.raises(Unauthenticated) as refused:
        integrations.receive(uow, other_box, "gitlab", target.public_id, headers=headers, body=b"{}")
    assert "rotate it" in refused.value.detail
    assert stored(runtime)["deliveries"] == 0
