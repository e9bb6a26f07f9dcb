"""Template sources go through the outbound guard (issue 10): an internal address is refused before any
connection, every failure answers the same text, and git connects only to the address that was checked."""

from __future__ import annotations

import dataclasses
import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core import outbound
from tests.factories import MadeUser, make_user


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1: it must see no connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock


def connected(sock: socket.socket, wait: float = 0.5) -> bool:
    readable, _, _ = select.select([sock], [], [], wait)
    return bool(readable)


def register(client: TestClient, who: MadeUser, source: str, key: str = "probe") -> Any:
    body = {"key": key, "name": "Probe", "source": source}
    return client.post("/api/v1/templates", headers=who.headers, json=body)


def test_a_loopback_source_is_refused_without_a_connection(
    client: TestClient, runtime: Runtime, listener: socket.socket
) -> None:
    pia = make_user(runtime, "pia", Role.PLATFORM)
    port = listener.getsockname()[1]
    refused = register(client, pia, f"https://127.0.0.1:{port}/x.git")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "source", "reason": outbound.REFUSAL}]
    assert not connected(listener)
    assert client.get("/api/v1/templates/probe", headers=pia.headers).status_code == 404


def test_every_failure_answers_the_same_text(client: TestClient, runtime: Runtime, listener: socket.socket) -> None:
    """A refused address, a closed port and an open port that is no git server look alike (git gives up on
    the silent port after the fetch timeout, here 3 s)."""
    pia = make_user(runtime, "pia", Role.PLATFORM)
    open_port = listener.getsockname()[1]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
    runtime.platform = dataclasses.replace(runtime.platform, outbound_allow=("127.0.0.1",), render_timeout=3)
    answers = {
        register(client, pia, f"https://127.0.0.1:{port}/x.git").json()["detail"] for port in (open_port, closed_port)
    }
    runtime.platform = dataclasses.replace(runtime.platform, outbound_allow=())
    answers.add(register(client, pia, "https://169.254.169.254/x.git").json()["detail"])
    assert answers == {f"source: {outbound.REFUSAL}"}
    assert connected(listener)  # allowed, it was reached: the guard let it through, the answer did not tell


def test_git_connects_only_to_the_checked_address(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once, by the guard; git is pinned to that answer (a second, rebinding answer is
    never asked for). `rebind.test` does not exist in real DNS: only the pin can take git to 127.0.0.2."""
    pia = make_user(runtime, "pia", Role.PLATFORM)
    with socket.socket() as pinned:
        pinned.bind(("127.0.0.2", 0))
        pinned.listen(8)
        port = pinned.getsockname()[1]
        asked: list[str] = []

        def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
            asked.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port))]

        monkeypatch.setattr(outbound, "_system_resolve", resolve)
        runtime.platform = dataclasses.replace(runtime.platform, outbound_allow=("127.0.0.2/32",), render_timeout=3)
        refused = register(client, pia, f"https://rebind.test:{port}/x.git")
        assert refused.status_code == 422
        assert asked == ["rebind.test"]
        assert connected(pinned)
