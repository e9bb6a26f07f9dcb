"""More concurrent writes than the server has worker threads all complete, on both stores, and every 201 is
stored: requests wait for the store without holding a thread (before, 64 at once deadlocked the thread pool
until the store's timeout and answered 500)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.processes import admin_token, factory_server, server_settings

SECRET = "concurrent-writes-test-secret-key"
CLIENTS = 64


def test_sixty_four_concurrent_writes_all_complete_and_are_stored(tmp_path: Path, database_url: str) -> None:
    settings = server_settings(tmp_path / "home", database_url, SECRET)
    with factory_server(settings, SECRET, tmp_path / "server.log"):
        token = admin_token(settings.home, database_url, SECRET)
        headers = {"Authorization": f"Bearer {token}"}
        url = settings.effective_public_url + "/api/v1/epics"

        def create(number: int) -> int:
            body = {"title": f"Concurrent epic {number}"}
            return httpx.post(url, headers=headers, json=body, timeout=120).status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = list(pool.map(create, range(CLIENTS * 2)))
        assert statuses == [201] * CLIENTS * 2
        stored = httpx.get(url, headers=headers, params={"limit": 200}, timeout=60).json()
        assert stored["total"] == CLIENTS * 2
        assert {item["title"] for item in stored["items"]} == {f"Concurrent epic {n}" for n in range(CLIENTS * 2)}
        assert len({item["key"] for item in stored["items"]}) == CLIENTS * 2
