"""What the HTTP server itself refuses (over-long request targets, requests that are not HTTP) is answered as
problem JSON too, on a real `factory serve` process: the parser's refusals never reach the application."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from digital_factory.app.middleware import MAX_URL_BYTES
from tests.browser import free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home, port = tmp_path_factory.mktemp("serve"), free_port()
    env = {
        **os.environ,
        "FACTORY_HOME": str(home),
        "FACTORY_SECRET_KEY": "request-line-test-secret-key",
        "FACTORY_PORT": str(port),
        "FACTORY_HOST": "127.0.0.1",
    }
    env.pop("FACTORY_DATABASE_URL", None)
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "digital_factory", "serve"], env=env, stdout=out, stderr=out)
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer: " + log.read_text())


def _raw(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are (no client library tidies them up); the status line, headers and body."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    return status, headers, body


def test_a_100_kb_query_string_gets_problem_json(server: str) -> None:
    status, headers, body = _raw(server, b"GET /api/v1/users?q=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status.startswith("HTTP/1.1 414"), status
    assert headers["content-type"] == "application/problem+json"
    assert f"limit of {MAX_URL_BYTES} bytes" in body.decode()


def test_a_query_over_the_documented_limit_gets_414_from_the_application(server: str) -> None:
    response = httpx.get(f"{server}/api/v1/users", params={"q": "x" * (MAX_URL_BYTES + 1)})
    assert response.status_code == 414
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "URI Too Long"
    assert httpx.get(f"{server}/api/v1/users", params={"q": "x" * 1000}).status_code == 401  # within: served


def test_a_request_that_is_not_http_gets_problem_json(server: str) -> None:
    status, headers, body = _raw(server, b"GET /\x01\x02 NONSENSE\r\n\r\n")
    assert status.startswith("HTTP/1.1 400"), status
    assert headers["content-type"] == "application/problem+json"
    assert b"not valid HTTP/1.1" in body
