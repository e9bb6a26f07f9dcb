"""In real Chromium, on the demo's store: every page of the demo, as each of the story's people, at 1280 px
and 390 px. No server error (nor a link to a page that refuses or does not exist), no console error, no
page-wide sideways scroll, and no enabled form or button for a permission the person's role lacks.

Each page template is visited once per person (the first instance of each route pattern found by
following links from the overview), which keeps the crawl to a couple of minutes. Each page is checked
at the width it loaded at, then resized to the other one (scripts that lay out charts listen for the
resize); pages load alternately wide and narrow.

The permission check is decidable where a page says which permission an action needs: an element with
`data-permission` (a form, or a button) that is enabled must name a permission of the person's role.
Ownership (membership of the owning team) is not visible in the page, so it is not checked here."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page
from starlette.routing import BaseRoute

from digital_factory.accounts.schemas import ROLE_PERMISSIONS, Role
from digital_factory.demo.story import CAST
from digital_factory.web.app import install_web
from tests.browser import (
    DemoServer,
    chromium_browser,
    chromium_or_skip,
    horizontal_overflow,
    serve_demo,
    sign_in,
    watched_page,
)

pytestmark = pytest.mark.browser

WIDE, PHONE = 1280, 390
PER_PATTERN = 1  # instances of one route pattern visited per person


def _get_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router (FastAPI resolves it lazily)
        if included is not None:
            yield from _get_routes(included.routes)
        elif isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            yield route


def _web_routes() -> list[APIRoute]:
    app = FastAPI()
    install_web(app)
    return list(_get_routes(app.routes))


ROUTES = _web_routes()
# Not pages: streams, fragments, downloads, the API, sign-out.
SKIP = re.compile(r"^/(api|static|login|logout)(/|$)|/(events|progress|rule)$|\.(json|ya?ml|md|txt|csv)$")

ENABLED_WITH_PERMISSION = """
() => Array.from(document.querySelectorAll("[data-permission]")).filter((el) => {
  if (el.getClientRects().length === 0) return false;
  if (el.tagName === "FORM") {
    return Array.from(el.querySelectorAll("button, input[type=submit]")).some((b) => !b.disabled);
  }
  return !el.disabled && el.getAttribute("aria-disabled") !== "true";
}).map((el) => ({
  permission: el.dataset.permission,
  action: el.getAttribute("action") || el.getAttribute("formaction") || el.getAttribute("href") || "",
  text: (el.innerText || "").trim().slice(0, 40),
}))
"""


def pattern_of(path: str) -> str:
    """The route a path belongs to ("/portfolio/epics/{key}"); the path itself for other apps' pages."""
    return next((route.path for route in ROUTES if route.path_regex.match(path)), path)


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    patterns: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[DemoServer]:
    root = tmp_path_factory.mktemp("crawl-demo")
    shutil.copy(sqlite_template, root / "factory.db")
    with serve_demo(root / "home", f"sqlite:///{root / 'factory.db'}") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser(chromium_or_skip()) as opened:
        yield opened


def _links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map((e) => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _check(page: Page, url: str, permissions: frozenset[str], crawl: Crawl) -> None:
    for item in page.evaluate(ENABLED_WITH_PERMISSION):
        if item["permission"] not in permissions:
            crawl.problems.append(f"{url}: {item['text']!r} ({item['action']}) needs {item['permission']}")
    loaded_at = page.viewport_size["width"] if page.viewport_size else WIDE
    for width in (loaded_at, PHONE if loaded_at == WIDE else WIDE):  # the next page loads at the last width
        page.set_viewport_size({"width": width, "height": 900})
        if (overflow := horizontal_overflow(page)) > 0:
            crawl.problems.append(f"{url} at {width} px scrolls sideways by {overflow} px")


def crawl_as(browser: Browser, demo: DemoServer, username: str) -> Crawl:
    permissions = frozenset(str(p) for p in ROLE_PERMISSIONS[Role(demo.people[username])])
    crawl = Crawl()
    with watched_page(browser, WIDE) as watched:
        page = watched.page
        sign_in(page, demo.url, username, demo.password)
        queue, seen = ["/"], {"/"}
        while queue:
            url = queue.pop(0)
            pattern = pattern_of(urlsplit(url).path)
            if crawl.patterns[pattern] >= PER_PATTERN:
                continue
            crawl.patterns[pattern] += 1
            response = page.goto(demo.url + url)
            crawl.visited.append(url)
            status = response.status if response else 0
            if status >= 400:
                crawl.problems.append(f"{url}: HTTP {status}")
            crawl.problems.extend(f"{url}: console: {error}" for error in watched.take_errors())
            _check(page, url, permissions, crawl)
            for link in _links(page):
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    return crawl


@pytest.mark.parametrize("username", ["admin", *(username for username, _, _ in CAST)])
def test_every_page_of_the_demo_as_each_person(browser: Browser, demo: DemoServer, username: str) -> None:
    crawl = crawl_as(browser, demo, username)
    assert len(crawl.visited) >= 25, f"only {len(crawl.visited)} pages reached: {crawl.visited}"
    assert not crawl.problems, "\n".join(crawl.problems)
