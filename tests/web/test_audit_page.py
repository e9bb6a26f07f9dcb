"""The audit log page: field-by-field changes, links to object and actor, and the door each change came
through (web, API token, CLI, git, demo)."""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Origin, system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.demo.story import DemoContext, cast_step
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from digital_factory.web.audit_view import field_changes, object_url
from tests.factories import actor_of, make_user, web_login


def _doors(runtime: Runtime, action: str) -> list[str]:
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        entries = accounts.list_audit_entries(uow, AuditFilter(action=action), PageRequest(limit=50))
    return [e.origin for e in reversed(entries.items)]


def test_the_page_shows_changes_field_by_field_with_links_and_doors(client: TestClient, runtime: Runtime) -> None:
    admin = make_user(runtime, "ada", Role.ADMIN)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines", mission="Thrust"))
    # the same token through the API, then as the `factory` command says it is
    plain = client.patch("/api/v1/teams/engines", json={"name": "Engines & Motors"}, headers=admin.headers)
    assert plain.status_code == 200, plain.text
    cli = client.patch(
        "/api/v1/teams/engines", json={"mission": "More thrust"}, headers={**admin.headers, "X-Factory-Client": "cli"}
    )
    assert cli.status_code == 200, cli.text
    assert _doors(runtime, "team.update") == ["api", "cli"]

    web_login(client, admin)
    html = client.get("/admin/audit", params={"action": "team.update"}).text
    assert html.count('data-testid="door">API token<') == 1
    assert html.count('data-testid="door">CLI<') == 1
    assert "<dt>mission</dt><dd><del>Thrust</del> → <ins>More thrust</ins></dd>" in html
    assert "<dt>name</dt><dd><del>Engines</del> → <ins>Engines &amp; Motors</ins></dd>" in html
    assert '"profile"' not in html  # unchanged fields (and raw JSON) are not shown
    assert '<a href="/teams/engines">team engines</a>' in html
    assert '<a href="/admin/audit?actor=ada"' in html
    assert '<code class="action">team.update</code>' in html
    # the door shows after a web sign-in too
    assert re.search(r'data-testid="door">web<', client.get("/admin/audit", params={"action": "session.login"}).text)


def test_the_demo_acts_as_the_demo(runtime: Runtime) -> None:
    ctx = DemoContext(runtime)
    cast_step(ctx, "demo password 1")
    assert {a.origin for a in ctx.actors.values()} == {Origin.DEMO}
    assert set(_doors(runtime, "user.create")) == {"demo"}
    with runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines"))
    assert _doors(runtime, "team.create") == ["demo"]


def test_field_changes_and_object_links() -> None:
    assert field_changes({"a": 1, "b": [1, 2], "c": "x"}, {"a": 1, "b": [1, 3], "d": True}) == [
        replace(field_changes(None, {"b": 0})[0], field="b", before="1, 2", after="1, 3"),
        replace(field_changes(None, {"d": 0})[0], field="d", before=None, after="yes"),
        replace(field_changes({"c": 0}, None)[0], field="c", before="x", after=None),
    ]
    assert field_changes(None, {"rules": {"on": 1}})[0].after == '{"on": 1}'
    assert object_url("flag", "engine-control/heavy-lift") == "/releases/engine-control/flags/heavy-lift"
    assert object_url("service", "a b") == "/catalog/services/a%20b"
    assert object_url("change", "CHG-1") is None and object_url("team", None) is None
