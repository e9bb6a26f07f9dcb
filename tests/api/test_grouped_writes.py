"""Epics many clients send at once are written together, yet every request gets its own answer: each caller's
epics recorded as theirs, an invalid one refused alone, one without the right refused alone; and the clients
of one token whose cached check expired read the store once between them."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from starlette.requests import Request

from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.accounts.service import TokenCache, list_audit_entries
from digital_factory.api.grouped import GroupedWrites
from digital_factory.app.factory import Runtime, create_app
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Epic, EpicCreate
from digital_factory.settings import Settings
from tests.browser import LiveServer
from tests.factories import actor_of, make_user
from tests.statements import statements

SENDS = 48


def test_epics_sent_at_once_each_get_their_own_answer(live_server: LiveServer) -> None:
    rt = live_server.runtime
    senders = [make_user(rt, name, role) for name, role in (("paula", Role.PRODUCT), ("pete", Role.PRODUCT))]
    viewer = make_user(rt, "vic", Role.VIEWER)

    def send(number: int) -> tuple[int, str, dict[str, Any]]:
        sender = viewer if number % 12 == 11 else senders[number % 2]
        body: dict[str, Any] = {"title": f"Epic {number}"}
        if number % 8 == 5:
            body["owner"] = "nobody"
        answer = httpx.post(
            live_server.url + "/api/v1/epics",
            headers={"Authorization": f"Bearer {sender.token}"},
            json=body,
            timeout=60,
        )
        return answer.status_code, sender.username, answer.json()

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(SENDS)))

    expected = [403 if n % 12 == 11 else 422 if n % 8 == 5 else 201 for n in range(SENDS)]
    assert [status for status, _, _ in answers] == expected
    assert all(body["errors"][0]["field"] == "owner" for status, _, body in answers if status == 422)
    created = {body["key"]: (sender, body["title"]) for status, sender, body in answers if status == 201}
    with rt.store.unit_of_work(system_actor("tests"), write=False) as uow:
        audit = list_audit_entries(uow, AuditFilter(action="epic.create"), PageRequest(limit=100)).items
    assert {entry.object_id: entry.actor_name for entry in audit} == {key: who for key, (who, _) in created.items()}
    listed = httpx.get(
        live_server.url + "/api/v1/epics",
        headers={"Authorization": f"Bearer {senders[0].token}"},
        params={"limit": 100},
        timeout=30,
    ).json()
    assert {item["key"]: item["title"] for item in listed["items"]} == {k: t for k, (_, t) in created.items()}


def test_clients_of_one_token_read_the_store_once_between_them(live_server: LiveServer) -> None:
    rt = live_server.runtime
    rt.tokens = TokenCache(ttl=600)  # kept long enough that no second read is due while the test runs
    reader = make_user(rt, "vic", Role.VIEWER)

    def read(_: int) -> int:
        headers = {"Authorization": f"Bearer {reader.token}"}
        return httpx.get(live_server.url + "/api/v1/themes", headers=headers, timeout=60).status_code

    with statements(rt) as seen, ThreadPoolExecutor(16) as pool:
        assert list(pool.map(read, range(32))) == [200] * 32
    assert len([s for s in seen if "FROM accounts_api_token" in s]) == 1


def test_a_group_that_fails_is_written_again_item_by_item(settings: Settings, runtime: Runtime) -> None:
    """Writes sent before the writer runs form one group; an invalid one in it fails that group, and then
    each item gets its own answer from a unit of its own."""
    make_user(runtime, "paula", Role.PRODUCT)
    paula = actor_of(runtime, "paula")
    request = Request({"type": "http", "app": create_app(settings, runtime=runtime)})
    writes: GroupedWrites[EpicCreate, Epic] = GroupedWrites(portfolio.create_epics)
    items = [EpicCreate(title="First"), EpicCreate(title="Owned", owner="nobody"), EpicCreate(title="Third")]

    async def send_all() -> list[Any]:
        return await asyncio.gather(*(writes.write(request, paula, item) for item in items), return_exceptions=True)

    first, refused, third = asyncio.run(send_all())
    assert isinstance(refused, ValidationFailed) and refused.problems[0].field == "owner"
    # the failed group's keys went back with its rollback
    assert (first.key, first.title, third.key, third.title) == ("EPIC-1", "First", "EPIC-2", "Third")
    with statements(runtime) as seen:
        both = asyncio.run(send_all_valid(writes, request, paula))
    assert [epic.key for epic in both] == ["EPIC-3", "EPIC-4"]
    assert len([s for s in seen if "INSERT INTO store_key_sequence" in s]) == 1  # one group, one unit of work


async def send_all_valid(writes: GroupedWrites[EpicCreate, Epic], request: Request, actor: Any) -> list[Epic]:
    items = [EpicCreate(title="Fourth"), EpicCreate(title="Fifth")]
    return list(await asyncio.gather(*(writes.write(request, actor, item) for item in items)))
