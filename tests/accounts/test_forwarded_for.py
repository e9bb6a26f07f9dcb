"""Sign-in throttling against a real `factory serve` (issue 10): another spelling of the name gets no fresh
allowance, and X-Forwarded-For is believed only from FACTORY_TRUSTED_PROXIES (default: nobody)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import build_runtime, prepare_store
from digital_factory.settings import Settings
from tests.browser import free_port
from tests.factories import make_user

SECRET_KEY = "forwarded-for-test-secret-key"
PASSWORD = "team2 has a long password"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A store with the user `team2`, shared by the servers a test starts."""
    settings = Settings(home=tmp_path / "home", secret_key=SECRET_KEY)
    runtime = build_runtime(settings)
    prepare_store(runtime)
    make_user(runtime, "team2", Role.TEAM, password=PASSWORD)
    runtime.store.dispose()
    return settings.home


@contextmanager
def serving(home: Path, **extra_env: str) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FACTORY_") and k != "FORWARDED_ALLOW_IPS"},
        "FACTORY_HOME": str(home),
        "FACTORY_SECRET_KEY": SECRET_KEY,
        "FACTORY_PORT": str(port),
        "FACTORY_HOST": "127.0.0.1",
        "FACTORY_PUBLIC_URL": url,
        **extra_env,
    }
    log = home / f"server-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "digital_factory", "serve"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(url: str, username: str, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = httpx.post(
        f"{url}/login", data={"username": username, "password": password}, headers=headers, follow_redirects=False
    )
    return response.status_code


def exhaust(url: str, forwarded_for: str | None = None) -> None:
    for _ in range(10):
        assert sign_in(url, "team2", "wrong", forwarded_for) == 401
    assert sign_in(url, "team2", PASSWORD, forwarded_for) == 429


def test_by_default_neither_a_spelling_nor_a_forwarded_header_passes_the_throttle(home: Path) -> None:
    with serving(home) as url:
        exhaust(url)
        assert sign_in(url, " team2", PASSWORD) == 429
        assert sign_in(url, "TEAM2 ", PASSWORD) == 429
        assert sign_in(url, "team2", PASSWORD, forwarded_for="10.9.9.9") == 429


def test_a_configured_proxy_forwards_the_client_address(home: Path) -> None:
    with serving(home, FACTORY_TRUSTED_PROXIES="127.0.0.1") as url:
        exhaust(url, forwarded_for="10.9.9.9")
        assert sign_in(url, " team2", PASSWORD, forwarded_for="10.9.9.9") == 429
        # another client behind the proxy is another address: the real user still gets in
        assert sign_in(url, " team2", PASSWORD, forwarded_for="10.9.9.8") == 303
