"""Kept list reads (`api.kept`): a repeated read is answered from memory with the same bytes and headers, a
write shows at once, and a kept answer reaches only callers who may read it."""

from __future__ import annotations

from typing import NoReturn

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate
from digital_factory.settings import Settings
from tests.factories import make_user
from tests.processes import another_process

EPICS = "/api/v1/epics"


def _titles(client: TestClient, headers: dict[str, str], query: str = "") -> list[str]:
    answer = client.get(EPICS + query, headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["title"] for item in answer.json()["items"]]


def test_a_repeated_read_is_the_same_answer_from_memory(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_user(runtime, "petra", Role.PRODUCT)
    client.post(EPICS, json={"title": "One-click payment"}, headers=product.headers).raise_for_status()
    first = client.get(EPICS, headers=product.headers)
    assert [item["title"] for item in first.json()["items"]] == ["One-click payment"]
    with monkeypatch.context() as patched:
        patched.setattr(runtime.store, "unit_of_work", _refused)  # the repeat must not reach the store
        again = client.get(EPICS, headers=product.headers)
    assert again.status_code == 200 and again.content == first.content
    for header in ("content-type", "content-security-policy", "x-content-type-options", "x-frame-options"):
        assert again.headers[header] == first.headers[header]


def test_a_write_through_the_api_shows_in_the_next_read(client: TestClient, runtime: Runtime) -> None:
    product = make_user(runtime, "petra", Role.PRODUCT)
    assert _titles(client, product.headers) == []
    client.post(EPICS, json={"title": "One-click payment"}, headers=product.headers).raise_for_status()
    assert _titles(client, product.headers) == ["One-click payment"]
    assert _titles(client, product.headers, "?q=payment&limit=5") == ["One-click payment"]
    key = client.get(EPICS, headers=product.headers).json()["items"][0]["key"]
    client.patch(f"{EPICS}/{key}", json={"title": "Two-click payment"}, headers=product.headers).raise_for_status()
    assert _titles(client, product.headers) == ["Two-click payment"]
    assert _titles(client, product.headers, "?q=payment&limit=5") == ["Two-click payment"]


def test_a_write_by_another_process_shows_after_the_revision_check(
    client: TestClient, runtime: Runtime, settings: Settings
) -> None:
    viewer = make_user(runtime, "vic")
    assert _titles(client, viewer.headers) == []
    with another_process(settings) as other, other.store.unit_of_work(system_actor("tests")) as uow:
        portfolio.create_epic(uow, EpicCreate(title="Made by another server"))
    runtime.store.reads.refresh_seconds = 0  # the next answer checks the revision first
    assert _titles(client, viewer.headers) == ["Made by another server"]


def test_a_kept_answer_reaches_only_callers_with_the_same_permissions(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    writer_only = make_user(runtime, "otto", Role.ADMIN, scopes=["portfolio:write"])
    client.post(EPICS, json={"title": "One-click payment"}, headers=admin.headers).raise_for_status()
    assert _titles(client, admin.headers) == _titles(client, admin.headers) == ["One-click payment"]
    refused = client.get(EPICS, headers=writer_only.headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert client.get(EPICS, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get(EPICS).status_code == 401


def test_a_revoked_token_gets_no_kept_answer(client: TestClient, runtime: Runtime) -> None:
    viewer = make_user(runtime, "vera")
    assert _titles(client, viewer.headers) == _titles(client, viewer.headers) == []
    public_id = viewer.token.split("_")[1]
    assert client.delete(f"/api/v1/tokens/{public_id}", headers=viewer.headers).status_code == 200
    assert client.get(EPICS, headers=viewer.headers).status_code == 401


def test_a_refused_query_is_refused_every_time(client: TestClient, runtime: Runtime) -> None:
    viewer = make_user(runtime, "vic")
    for _ in range(2):
        answer = client.get(EPICS + "?limit=0", headers=viewer.headers)
        assert answer.status_code == 422 and "limit" in answer.text


def _refused(*_: object, **__: object) -> NoReturn:
    raise AssertionError("the store was read")
