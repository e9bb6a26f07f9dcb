"""Every form the web takes, sent with bad values as the admin: whatever is posted, no page answers 500.

Path parameters name objects the product made (a team, a service with a flag, an epic, a feature), so the
values reach the code behind the lookups. Each declared form field gets each bad value in turn; handlers
that read the form themselves get the field names the web's forms use most. The crawl in Chromium posts
what the pages offer with plausible values; this posts what a person (or a script) could type instead."""

from __future__ import annotations

import re
from collections import Counter

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import made_by_the_product, make_user, web_login
from tests.web.routes import web_routes

ORIGIN = {"Origin": "http://testserver"}
BAD_VALUES = (
    "",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "0001-01-01T00:00:00+05:00",
    "x" * 5000,
    "[{%",
    "{{ 7 * 7 }}",
)
# For handlers that read the form themselves (no declared fields).
COMMON_FIELDS = ("title", "name", "key", "description", "team", "to", "percent", "at", "value", "environment")
REAL = {"service": "engine-control", "environment": "dev", "flag": "heavy-lift-mode", "team": "flight-software"}
REAL_KEYS = {"catalog": "engine-control", "delivery": "engine-control", "releases": "engine-control"}
REAL_KEYS |= {"teams": "flight-software", "portfolio": "EPIC-1", "product": "FEAT-1", "repositories": "engine-control"}
REAL_KEYS |= {"telemetry": "engine-control"}
SKIPPED = {"/login", "/logout", "/account/password"}  # signing out or changing the password ends the session


def _form_routes() -> list[tuple[str, list[str]]]:
    found = []
    for route in web_routes("POST"):
        if route.path not in SKIPPED:
            fields = [param.alias for param in route.dependant.body_params]
            found.append((_filled(route.path), fields or list(COMMON_FIELDS)))
    return found


def _filled(path: str) -> str:
    collection = path.strip("/").split("/")[0]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.endswith("_id"):
            return "1"
        return REAL.get(name) or REAL_KEYS.get(collection, "x")

    return re.sub(r"{(\w+)(?::\w+)?}", value, path)


def test_no_form_answers_a_server_error_whatever_is_sent(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    made_by_the_product(client, runtime, admin)
    csrf = web_login(client, admin)
    routes = _form_routes()
    assert len(routes) >= 50
    failures = []
    answered: Counter[int] = Counter()
    for url, fields in routes:
        for bad in BAD_VALUES:
            form = {name: bad for name in fields} | {"csrf_token": csrf}
            answer = client.post(url, data=form, headers=ORIGIN, follow_redirects=False)
            answered[answer.status_code] += 1
            if answer.status_code >= 500:
                failures.append(f"POST {url} {fields} = {bad[:20]!r}: {answer.status_code}")
    assert not failures, "\n".join(failures)
    # The forms were taken and read: refused by their own checks or the state, not turned away at the door.
    assert answered[403] == 0 and answered[422] > len(routes), answered
    print(sorted(answered.items()))
