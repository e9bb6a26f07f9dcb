"""Real-browser testing: the app served by uvicorn on a free loopback port, driven in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium via `executable_path`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from digital_factory.app.factory import Runtime, build_runtime, create_app
from digital_factory.settings import Settings

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    runtime: Runtime


@contextmanager
def serve(home: Path, database_url: str) -> Iterator[LiveServer]:
    port = free_port()
    settings = Settings(
        home=home,
        database_url=database_url,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        secret_key="browser-test-secret",
    )
    runtime = build_runtime(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, runtime=runtime),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **settings.proxy_options(),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium_browser(executable: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
