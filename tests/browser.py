"""Real-browser testing: the app served by uvicorn on a free loopback port, driven in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium via `executable_path`.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from digital_factory.app.factory import Runtime, build_runtime, create_app, prepare_store
from digital_factory.demo.closing import close_the_loop
from digital_factory.demo.loop import Pace
from digital_factory.demo.story import CAST, play
from digital_factory.settings import Settings
from tests.systemparts import chromium_path, require_all

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


def chromium_or_skip() -> Path:
    """Debian's Chromium; without it the test is skipped (or fails when FACTORY_TEST_REQUIRE_ALL is set)."""
    path = chromium_path()
    if path is None:
        reason = "Chromium not found at /usr/bin/chromium (apt-get install chromium)"
        pytest.fail(reason) if require_all() else pytest.skip(reason)
    assert path is not None
    return path


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


# --- the demo, seeded once and served ------------------------------------------------------------------


@dataclass(frozen=True)
class DemoServer:
    url: str
    password: str  # every person of the story signs in with it (the admin too)
    people: dict[str, str]  # username -> role
    home: Path
    database_url: str


@contextmanager
def serve_demo(home: Path, database_url: str) -> Iterator[DemoServer]:
    """`factory demo --fast --no-serve`'s store, served: the story's first half played through the services,
    its last act against the served app's API, OTLP and OFREP."""
    with serve(home, database_url) as server:
        admin = prepare_store(server.runtime, one_time_admin_password=False)
        assert admin is not None and admin.one_time_password
        ctx = play(server.runtime, admin.one_time_password, lambda _title: None)
        close_the_loop(ctx, server.url, Pace.fast(), lambda _title: None)
        people = {"admin": "admin", **{username: str(role) for username, _, role in CAST}}
        yield DemoServer(
            url=server.url, password=admin.one_time_password, people=people, home=home, database_url=database_url
        )


@contextmanager
def serve_demo_copy(demo: DemoServer, target: Path) -> Iterator[DemoServer]:
    """A fresh copy of a served SQLite demo store (the database and the data folder's repositories and
    templates), served on its own: what one person does to it (archive, revoke, remove) nobody else sees.
    The copy is the database's online backup, so the running server may keep writing meanwhile."""
    source = demo.database_url.removeprefix("sqlite:///")
    assert source != demo.database_url, "only an SQLite store can be copied"
    target.mkdir(parents=True)
    home, database = target / "home", target / "factory.db"
    shutil.copytree(demo.home, home, symlinks=True, ignore=shutil.ignore_patterns("runs", "scratch"))
    reading, writing = sqlite3.connect(source), sqlite3.connect(database)
    try:
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()
    with serve(home, f"sqlite:///{database}") as server:
        yield replace(demo, url=server.url, home=home, database_url=f"sqlite:///{database}")


# --- pages that record what the browser complained about ---------------------------------------------


@dataclass
class WatchedPage:
    page: Page
    errors: list[str]  # console errors and uncaught script errors, in order

    def take_errors(self) -> list[str]:
        taken, self.errors[:] = list(self.errors), []
        return taken


@contextmanager
def watched_page(browser: Browser, width: int = 1280, height: int = 900) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watched = WatchedPage(page=page, errors=[])
    page.on("console", lambda message: watched.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    try:
        yield watched
    finally:
        context.close()


def horizontal_overflow(page: Page) -> int:
    """How many pixels the whole page scrolls sideways (0: none), once the layout has settled (two frames:
    scripts that size charts on a resize do it in the next frame)."""
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


# --- WCAG contrast, from the computed styles ---------------------------------------------------------

# For each element the selector matches and a person can see: its text, the contrast ratio of its text
# colour against its effective background (its own, else the nearest ancestor's, composited down through
# translucent layers onto white), and both colours.
CONTRAST_JS = """
(selector) => {
  const parse = (value) => {
    const m = value.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, base) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + base[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let base = [255, 255, 255, 1];
    for (const layer of layers.reverse()) base = over(layer, base);
    return base;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  return Array.from(document.querySelectorAll(selector)).filter(visible).map((el) => {
    const bg = background(el);
    const fg = over(parse(getComputedStyle(el).color), bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    return {
      text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
      ratio: (hi + 0.05) / (lo + 0.05),
      color: fg.slice(0, 3).map(Math.round).join(","),
      background: bg.slice(0, 3).map(Math.round).join(","),
    };
  });
}
"""

# The active tab, every enabled button and every link that looks like a button.
CONTROLS = '.tabs a[aria-current="page"], .tabs a, button:not([disabled]), a.button, .sidebar a[aria-current="page"]'


def low_contrast(page: Page, selector: str = CONTROLS, minimum: float = 4.5) -> list[str]:
    """The controls on the page whose text is below `minimum` contrast (WCAG AA: 4.5:1), described."""
    found = page.evaluate(CONTRAST_JS, selector)
    return [
        f"{item['text']!r}: {item['ratio']:.2f}:1 (rgb({item['color']}) on rgb({item['background']}))"
        for item in found
        if item["ratio"] < minimum
    ]
