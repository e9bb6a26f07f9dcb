"""A real `factory serve` process for tests that must kill it (kill -9 and restart on the same store), and the
runtime of another server process for tests of what processes see of each other's writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

from digital_factory.app.factory import Runtime
from digital_factory.settings import Settings

T = TypeVar("T")


def server_settings(home: Path, database_url: str, secret_key: str) -> Settings:
    """Settings of a server on a free loopback port, on the given store."""
    from tests.browser import free_port

    port = free_port()
    return Settings(
        home=home,
        database_url=database_url,
        secret_key=secret_key,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
    )


def eventually(what: str, probe: Callable[[], T | None], timeout: float = 90) -> T:
    """Poll `probe` until it gives something other than None (or fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while (found := probe()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


@contextmanager
def factory_server(
    settings: Settings, secret_key: str, log: Path, **extra_env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`factory serve` on the settings' store and port until it answers; stopped (SIGTERM) at the end
    unless the test killed it."""
    env = {
        **os.environ,
        "FACTORY_HOME": str(settings.home),
        "FACTORY_DATABASE_URL": settings.effective_database_url,
        "FACTORY_SECRET_KEY": secret_key,
        "FACTORY_PORT": str(settings.port),
        "FACTORY_HOST": "127.0.0.1",
        "FACTORY_PUBLIC_URL": settings.effective_public_url,
        **extra_env,
    }
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "digital_factory", "serve"], env=env, stdout=out, stderr=out)
    try:
        eventually("the server to answer", lambda: _healthy(settings, process, log))
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(settings: Settings, process: subprocess.Popen[bytes], log: Path) -> bool | None:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"{settings.effective_public_url}/healthz", timeout=2).status_code == 200 or None
    except httpx.HTTPError:
        return None


def admin_token(home: Path, database_url: str, secret_key: str) -> str:
    """An API token of the first admin, made with `factory token create` on the server's store."""
    env = {**os.environ, "FACTORY_HOME": str(home), "FACTORY_DATABASE_URL": database_url}
    env["FACTORY_SECRET_KEY"] = secret_key
    command = [sys.executable, "-m", "digital_factory", "token", "create", "--user", "admin", "--name", "test"]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def another_process(settings: Settings) -> Iterator[Runtime]:
    """The runtime a second server process on the same store would build; stopped afterwards."""
    from digital_factory.app.factory import build_runtime

    other = build_runtime(settings)
    try:
        yield other
    finally:
        other.executor.stop()
        other.store.dispose()
