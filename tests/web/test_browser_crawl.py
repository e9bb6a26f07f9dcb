"""In real Chromium, on the demo's store: every page of the demo, as each of the story's people, at 1280 px
and 390 px. No server error (nor a link to a page that refuses or does not exist), no console error, no
page-wide sideways scroll, and no action offered that the person may not take.

Each page template is visited once per person (the first instance of each route pattern found by
following links from the overview), which keeps the crawl to a couple of minutes. Each page is checked
at the width it loaded at, then resized to the other one (scripts that lay out charts listen for the
resize); pages load alternately wide and narrow.

"No action offered that the person may not take" is checked by taking every action offered: each person
crawls a fresh copy of the seeded store, and every enabled form that posts (and every htmx control that
posts) on the pages reached is sent as that person, once per action and submit button, with the values
the page gave it and plausible values in the fields it left empty. A refusal (403) means the page offered
what the person may not do. Other answers are fine (409: the state does not allow it; 422: the filled-in
values are not good enough), and are only printed. A refusal seen after the person's earlier actions
changed the store is tried again on a new copy, so only a refusal of the page as shown counts.

"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import Browser, Page

from digital_factory.demo.story import CAST
from tests.browser import (
    DemoServer,
    horizontal_overflow,
    serve_demo_copy,
    sign_in,
    watched_page,
)
from tests.web.routes import web_routes

pytestmark = pytest.mark.browser

WIDE, PHONE = 1280, 390
PER_PATTERN = 1  # instances of one route pattern visited per person
# Where decisions wait: every service's delivery page, and every page a link says one is approved on.
EVERY_INSTANCE = {"/delivery/services/{key}"}
DECIDES = re.compile(r"\bapprove\b", re.IGNORECASE)


ROUTES, ACTIONS = web_routes("GET"), web_routes("POST")
# Not pages: streams, fragments, downloads, the API, sign-out.
SKIP = re.compile(r"^/(api|static|login|logout)(/|$)|/(events|progress|rule)$|\.(json|ya?ml|md|txt|csv|html)$")
# Not actions on the factory: signing in and out, the person's own password.
NOT_ACTIONS = re.compile(r"^/(login|logout|account/password)$")
# Actions that take something away are sent after the others (they may take away what the others need).
TAKES_AWAY = re.compile(r"/(remove|delete|archive|revoke|end|cancel|kill|reject|rollback)$")

# Every action the page offers: each enabled submit button of a form that posts (the values the browser
# would send, with plausible values in the fields left empty; never a file), and each enabled htmx
# control that posts (the values of the form it includes).
OFFERED_ACTIONS = r"""
() => {
  const today = new Date().toISOString().slice(0, 10);
  const plausible = (el) => {
    if (el.tagName === "SELECT") return (Array.from(el.options).find((o) => o.value) || { value: "" }).value;
    const listed = el.list && Array.from(el.list.options).find((o) => o.value);
    if (listed) return listed.value;
    if (el.tagName === "TEXTAREA") return "Written by the crawl.";
    const byType = {
      email: "crawl@example.org", url: "https://example.org/crawl", number: el.min || "1", range: el.min || "1",
      date: el.min || today, time: "12:00", "datetime-local": `${today}T12:00`, password: "", hidden: "",
    };
    const value = el.type in byType ? byType[el.type] : "crawl-check";
    return el.maxLength > 0 ? value.slice(0, el.maxLength) : value;
  };
  // What the browser would send, with each required field the page left empty filled in (the first choice
  // of a required radio group nobody chose); optional fields stay as the page gave them.
  const pairs = (form, submitter) => {
    if (!form) return [];
    const data = new FormData(form, submitter || undefined);
    for (const el of form.querySelectorAll("[required][name]")) {
      const empty = el.type === "radio" ? !data.has(el.name) : data.get(el.name) === "";
      if (empty) data.set(el.name, el.type === "radio" ? el.value : plausible(el));
    }
    return Array.from(data.entries()).filter(([, value]) => typeof value === "string");
  };
  const label = (el) => (el.textContent || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
  const offers = [];
  for (const form of document.querySelectorAll("form")) {
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") continue;
    const submitters = Array.from(form.elements).filter((el) => el.type === "submit" && !el.matches(":disabled"));
    for (const button of submitters) {
      const action = button.getAttribute("formaction") || form.getAttribute("action") || location.pathname;
      offers.push({ action, label: label(button), fields: pairs(form, button), htmx: false });
    }
  }
  for (const el of document.querySelectorAll("[hx-post]")) {
    if (el.matches(":disabled")) continue;
    const include = el.getAttribute("hx-include");
    const form = el.tagName === "FORM" ? el : (include && document.querySelector(include)) || el.closest("form");
    offers.push({ action: el.getAttribute("hx-post"), label: label(el), fields: pairs(form, null), htmx: true });
  }
  return offers;
}
"""


def pattern_of(path: str, routes: list[APIRoute] = ROUTES) -> str:
    """The route a path belongs to ("/portfolio/epics/{key}"); the path itself for other apps' pages."""
    return next((route.path for route in routes if route.path_regex.match(path)), path)


@dataclass(frozen=True)
class Offer:
    """An action a page offers: where it posts, with which values, from which page and button."""

    page: str
    action: str
    label: str
    fields: tuple[tuple[str, str], ...]
    htmx: bool

    @property
    def key(self) -> tuple[str, str]:
        return pattern_of(urlsplit(self.action).path, ACTIONS), self.label

    def describe(self) -> str:
        return f"{self.label!r} on {self.page} (POST {self.action})"


@dataclass
class Crawl:
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    patterns: Counter[str] = field(default_factory=Counter)
    offers: dict[tuple[str, str], Offer] = field(default_factory=dict)
    answers: Counter[int] = field(default_factory=Counter)
    refused: list[Offer] = field(default_factory=list)


def _links(page: Page) -> list[tuple[str, bool]]:
    """The local pages the page links to, each with whether it must be visited whatever its pattern."""
    anchors: list[list[str]] = page.eval_on_selector_all(
        "a[href]", "els => els.map((e) => [e.getAttribute('href'), e.textContent])"
    )
    found = []
    for href, text in anchors:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
            continue
        always = pattern_of(parts.path) in EVERY_INSTANCE or bool(DECIDES.search(text))
        found.append((parts.path + (f"?{parts.query}" if parts.query else ""), always))
    return found


def _collect_offers(page: Page, url: str, crawl: Crawl) -> None:
    found: list[dict[str, Any]] = page.evaluate(OFFERED_ACTIONS)
    for item in found:
        action = str(item["action"])
        if not action.startswith("/") or NOT_ACTIONS.match(urlsplit(action).path):
            continue
        fields = tuple((str(name), str(value)) for name, value in item["fields"])
        offer = Offer(page=url, action=action, label=str(item["label"]), fields=fields, htmx=bool(item["htmx"]))
        crawl.offers.setdefault(offer.key, offer)


def _check(page: Page, url: str, crawl: Crawl) -> None:
    _collect_offers(page, url, crawl)
    loaded_at = page.viewport_size["width"] if page.viewport_size else WIDE
    for width in (loaded_at, PHONE if loaded_at == WIDE else WIDE):  # the next page loads at the last width
        page.set_viewport_size({"width": width, "height": 900})
        if (overflow := horizontal_overflow(page)) > 0:
            crawl.problems.append(f"{url} at {width} px scrolls sideways by {overflow} px")


def take(page: Page, base_url: str, offer: Offer) -> tuple[int, str]:
    """Send what the page offered, as the signed-in person; the answer's status and, for an error page,
    what it said."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base_url}
    if offer.htmx:  # htmx sends the session's token in a header (base.html's hx-headers)
        token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
        headers |= {"HX-Request": "true", "X-CSRF-Token": token}
    response = page.request.post(
        base_url + offer.action, data=urlencode(offer.fields), headers=headers, max_redirects=0
    )
    said = re.search(r'<p class="alert" role="alert">(.*?)</p>', response.text() if response.status >= 400 else "")
    return response.status, said.group(1) if said else ""


def crawl_as(browser: Browser, demo: DemoServer, username: str) -> Crawl:
    crawl = Crawl()
    with watched_page(browser, WIDE) as watched:
        page = watched.page
        sign_in(page, demo.url, username, demo.password)
        queue, seen = [("/", False)], {("/", False)}
        while queue:
            url, always = queue.pop(0)
            pattern = pattern_of(urlsplit(url).path)
            if url in crawl.visited or (crawl.patterns[pattern] >= PER_PATTERN and not always):
                continue
            crawl.patterns[pattern] += 1
            response = page.goto(demo.url + url)
            crawl.visited.append(url)
            status = response.status if response else 0
            if status >= 400:
                crawl.problems.append(f"{url}: HTTP {status}")
            crawl.problems.extend(f"{url}: console: {error}" for error in watched.take_errors())
            _check(page, url, crawl)
            for link, always in _links(page):
                if (link, always) not in seen and (link, True) not in seen:  # a link may be found first as "any"
                    seen.add((link, always))
                    queue.append((link, always))
        take_every_offer(page, demo.url, crawl)
    return crawl


def take_every_offer(page: Page, base_url: str, crawl: Crawl) -> None:
    """Send every action offered, those that take something away last; note the ones refused."""
    offers = sorted(crawl.offers.values(), key=lambda offer: bool(TAKES_AWAY.search(offer.action)))
    for offer in offers:
        status, said = take(page, base_url, offer)
        crawl.answers[status] += 1
        if status == 403:
            crawl.refused.append(offer)
        elif status >= 500:
            crawl.problems.append(f"{offer.describe()} answered {status}")
        elif status >= 400:
            print(f"  {status} {offer.describe()}: {said}")


def refused_on_a_fresh_store(browser: Browser, demo: DemoServer, username: str, offer: Offer) -> str | None:
    """Sign in on a new copy of the store, open the page that offered the action and take it from there;
    what the refusal said, or None when it was taken (the first refusal came of the person's own earlier
    actions)."""
    with watched_page(browser, WIDE) as watched:
        page = watched.page
        sign_in(page, demo.url, username, demo.password)
        page.goto(demo.url + offer.page)
        crawl = Crawl()
        _collect_offers(page, offer.page, crawl)
        fresh = crawl.offers.get(offer.key)
        if fresh is None:
            return None
        status, said = take(page, demo.url, fresh)
        return said or "refused" if status == 403 else None


@pytest.mark.parametrize("username", ["admin", *(username for username, _, _ in CAST)])
def test_every_page_of_the_demo_as_each_person(
    browser: Browser, demo: DemoServer, username: str, tmp_path: Path
) -> None:
    with serve_demo_copy(demo, tmp_path / "store") as copy:
        crawl = crawl_as(browser, copy, username)
    for number, offer in enumerate(crawl.refused):
        with serve_demo_copy(demo, tmp_path / f"again-{number}") as copy:
            said = refused_on_a_fresh_store(browser, copy, username, offer)
        if said is not None:
            crawl.problems.append(f"{offer.describe()} is offered to {username} but refused: {said}")
    print(f"{username}: {len(crawl.visited)} pages, {len(crawl.offers)} actions taken, answers {dict(crawl.answers)}")
    print("\n".join(f"  offered: {offer.describe()}" for offer in crawl.offers.values()))
    assert len(crawl.visited) >= 25, f"only {len(crawl.visited)} pages reached: {crawl.visited}"
    assert not crawl.problems, "\n".join(crawl.problems)


def test_an_action_offered_to_someone_else_is_seen_refused(browser: Browser, demo: DemoServer, tmp_path: Path) -> None:
    """The check itself: what the admin is offered on a team's page, taken by a member of another team
    (with their own session's token), is refused; that team's page does not offer it to them."""
    team_page = "/teams/flight-software"
    with (
        serve_demo_copy(demo, tmp_path / "store") as copy,
        watched_page(browser) as admin,
        watched_page(browser) as power,
    ):
        sign_in(admin.page, copy.url, "admin", copy.password)
        admin.page.goto(copy.url + team_page)
        offered_to_admin = Crawl()
        _collect_offers(admin.page, team_page, offered_to_admin)
        archive = next(offer for offer in offered_to_admin.offers.values() if offer.action.endswith("/archive"))

        sign_in(power.page, copy.url, "power", copy.password)
        power.page.goto(copy.url + team_page)
        offered_to_power = Crawl()
        _collect_offers(power.page, team_page, offered_to_power)
        token = power.page.evaluate("document.querySelector('meta[name=csrf-token]').content")
        taken_by_power = replace(
            archive, fields=tuple((n, token if n == "csrf_token" else v) for n, v in archive.fields)
        )
        status, said = take(power.page, copy.url, taken_by_power)
        retaken_by_admin = refused_on_a_fresh_store(browser, copy, "admin", archive)

    assert archive.key not in offered_to_power.offers
    assert status == 403, said
    assert "CSRF" not in said
    assert retaken_by_admin is None  # taken again from the page as shown, by one who may: not refused
