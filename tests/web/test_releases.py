"""Release pages over HTTP: lists, the editor as a governed change, previews, approvals, client keys."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from digital_factory.core.pagination import PageRequest
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange, ReleaseFilter
from tests.factories import actor_of, ensure_work, web_login
from tests.releases.builders import SERVICE, flight_control, make_flag

ORIGIN = {"Origin": "http://testserver"}
FLAG_PAGE = f"/releases/{SERVICE}/flags/heavy-lift-mode"


def post(client: TestClient, csrf: str, path: str, data: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf, **data}, headers=ORIGIN, **kwargs)  # type: ignore[arg-type]


def test_pages_list_services_flags_and_the_timeline(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    make_flag(runtime, feature="FEAT-3")
    web_login(client, people["vic"])
    overview = client.get("/releases")
    assert overview.status_code == 200
    assert f'href="/releases/{SERVICE}"' in overview.text and "prod: 0" in overview.text
    service = client.get(f"/releases/{SERVICE}")
    assert service.status_code == 200 and FLAG_PAGE in service.text
    assert "New flag" not in service.text  # a viewer changes nothing
    page = client.get(FLAG_PAGE)
    assert page.status_code == 200 and "releases FEAT-3" in page.text
    assert "Edit targeting and rollout" not in page.text
    assert client.get(f"/releases/{SERVICE}/flags/ghost").status_code == 404
    assert client.get("/releases/no-such-service").status_code == 404


def test_editor_rules_and_rollout_become_a_change(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    make_flag(runtime)
    csrf = web_login(client, people["pm"])
    form = {
        "enabled": "on",
        "off_variant": "off",
        "rules-a1-name": "fleet customers",
        "rules-a1-conditions": "plan in pro, fleet\nappVersion semver_gte 2.4.0",
        "rules-a1-serve": "on",
        "rules-b2-conditions": "",  # an empty new card is ignored
        "rules-b2-serve": "on",
        "default-serve": "rollout",
        "default-pct-on": "12.5",
        "default-pct-off": "87.5",
        "reason": "first fleet",
    }
    saved = post(client, csrf, f"{FLAG_PAGE}/environments/dev", form, follow_redirects=False)
    assert saved.status_code == 303 and "done=applied" in saved.headers["location"]
    page = client.get(saved.headers["location"])
    assert "Applied: customers get it now." in page.text
    assert "on · 1 rule · 12.5% on / 87.5% off" in page.text
    assert "plan in pro, fleet\nappVersion semver_gte 2.4.0" in page.text  # the editor shows it back

    broken = post(client, csrf, f"{FLAG_PAGE}/environments/dev", {**form, "rules-a1-conditions": "plan is pro"})
    assert broken.status_code == 422 and "unknown operator" in broken.text
    wrong_total = post(client, csrf, f"{FLAG_PAGE}/environments/dev", {**form, "default-pct-off": "80"})
    assert wrong_total.status_code == 422 and "add up to 100" in wrong_total.text

    pending = post(client, csrf, f"{FLAG_PAGE}/environments/prod/rollout", {"percent": "10"}, follow_redirects=False)
    assert "done=pending" in pending.headers["location"]
    change = re.search(r"change=(FCR-\d+)", pending.headers["location"])
    assert change is not None
    page = client.get(FLAG_PAGE)
    assert f"Cancel {change.group(1)}" in page.text and f"Approve {change.group(1)}" not in page.text


def test_an_approver_approves_on_the_overview(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    make_flag(runtime)
    pm_csrf = web_login(client, people["pm"])
    requested = post(
        client, pm_csrf, f"{FLAG_PAGE}/environments/prod/rollout", {"percent": "50"}, follow_redirects=False
    )
    key = re.search(r"change=(FCR-\d+)", requested.headers["location"]).group(1)  # type: ignore[union-attr]
    client.cookies.clear()
    csrf = web_login(client, people["flight"])
    overview = client.get("/releases")
    assert f"Approve {key}" in overview.text
    approved = post(client, csrf, f"/releases/changes/{key}/approve", {"back": "/releases"}, follow_redirects=False)
    assert approved.headers["location"] == f"/releases?done=applied&change={key}"
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        release = releases.list_releases(uow, ReleaseFilter(environment="prod"), PageRequest()).items[0]
    assert (release.requested_by, release.approved_by, release.summary) == (
        "pm",
        "flight",
        "turned on: on · 50% on / 50% off",
    )
    assert "turned on: on · 50% on / 50% off" in client.get("/releases").text
    evil = post(
        client, csrf, f"/releases/changes/{key}/approve", {"back": "https://evil.example/"}, follow_redirects=False
    )
    assert evil.status_code == 409  # already applied; and `back` could never leave /releases anyway


def test_preview_fragment_answers_for_saved_and_draft_configurations(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    make_flag(runtime)
    csrf = web_login(client, people["vic"])
    headers = {**ORIGIN, "X-CSRF-Token": csrf, "HX-Request": "true"}
    saved = client.post(
        f"{FLAG_PAGE}/preview", data={"targeting_key": "drone-7", "attributes": "plan = pro"}, headers=headers
    )
    assert saved.status_code == 200 and "<html" not in saved.text
    assert saved.text.count("DISABLED") == 3
    draft = {
        "targeting_key": "drone-7",
        "attributes": '{"plan": "pro"}',
        "enabled": "on",
        "off_variant": "off",
        "rules-x-conditions": "plan = pro",
        "rules-x-serve": "on",
        "default-serve": "off",
    }
    drafted = client.post(f"{FLAG_PAGE}/preview?draft_env=prod", data=draft, headers=headers)
    assert "With the unsaved changes" in drafted.text and "TARGETING_MATCH (rule 1)" in drafted.text
    bad = client.post(f"{FLAG_PAGE}/preview", data={"attributes": "{not json"}, headers=headers)
    assert "not a JSON object" in bad.text
    no_csrf = client.post(f"{FLAG_PAGE}/preview", data={}, headers={**ORIGIN, "HX-Request": "true"})
    assert no_csrf.status_code == 403


def test_flags_and_client_keys_from_the_service_page(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    ensure_work(runtime, "FEAT-2")
    csrf = web_login(client, people["pm"])
    created = post(
        client,
        csrf,
        f"/releases/{SERVICE}/flags",
        {
            "key": "battery-profile",
            "flag_type": "string",
            "variants": 'standard = "standard"\nextended = extended',
            "feature": "feat-2",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"].endswith("/flags/battery-profile?done=created")
    page = client.get(created.headers["location"])
    assert "releases FEAT-2" in page.text and "&#34;extended&#34;" in page.text
    duplicate = post(client, csrf, f"/releases/{SERVICE}/flags", {"key": "battery-profile"})
    assert duplicate.status_code == 409 and "already has a flag" in duplicate.text
    service_page = client.get(f"/releases/{SERVICE}").text
    assert "Create client key" not in service_page  # product changes flags, not the client keys
    assert "Client keys: only members of the team flight-software or the platform manage them" in service_page
    refused = post(client, csrf, f"/releases/{SERVICE}/client-keys", {"environment": "prod", "name": "drones"})
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = web_login(client, people["flight"])
    key_page = post(client, csrf, f"/releases/{SERVICE}/client-keys", {"environment": "prod", "name": "drones"})
    secret = re.search(r'data-testid="new-client-key">([^<]+)<', key_page.text)
    assert secret is not None and secret.group(1).startswith("dffk_")
    assert secret.group(1) not in client.get(f"/releases/{SERVICE}").text  # shown once
    ofrep = client.post(
        "/ofrep/v1/evaluate/flags", headers={"Authorization": f"Bearer {secret.group(1)}"}, json={"context": {}}
    )
    assert [f["key"] for f in ofrep.json()["flags"]] == ["battery-profile"]
    segment = post(
        client,
        csrf,
        f"/releases/{SERVICE}/segments",
        {"environment": "dev", "key": "pilots", "included": "alice, bob", "conditions": "email ends_with @x.example"},
        follow_redirects=False,
    )
    assert "done=applied" in segment.headers["location"]
    assert "email ends_with @x.example" in client.get(f"/releases/{SERVICE}").text


def test_pages_offer_only_what_the_person_may_do(client: TestClient, runtime: Runtime) -> None:
    people = flight_control(runtime)
    make_flag(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "flight")) as uow:
        releases.request_change(uow, SERVICE, "heavy-lift-mode", "dev", FlagChange(enabled=True))
        pending = releases.request_change(uow, SERVICE, "heavy-lift-mode", "prod", FlagChange(enabled=True))
    csrf = web_login(client, people["tess"])  # the team role, in no team
    service_page = client.get(f"/releases/{SERVICE}").text
    assert "<summary>New flag</summary>" not in service_page and "Create client key" not in service_page
    assert "New flags and segments: only members of the team flight-software or the product role" in service_page
    flag_page = client.get(FLAG_PAGE).text
    assert "Edit targeting and rollout" not in flag_page and f"{FLAG_PAGE}/environments/dev/kill" not in flag_page
    assert re.search(r'<button type="button" class="danger" disabled[^>]*>Kill switch: off in dev now', flag_page)
    assert f"Approve {pending.key}" in flag_page and f"/releases/changes/{pending.key}/approve" not in flag_page
    assert "approved by the owning team with the role team or admin, not by flight" in flag_page
    refused = post(client, csrf, f"/releases/changes/{pending.key}/approve", {"back": "/releases"})
    assert refused.status_code == 403
    assert post(client, csrf, f"{FLAG_PAGE}/environments/dev/kill", {}).status_code == 403

    client.cookies.clear()
    csrf = web_login(client, people["fred"])  # another member of the owning team
    assert f"/releases/changes/{pending.key}/approve" in client.get(FLAG_PAGE).text
    approved = post(client, csrf, f"/releases/changes/{pending.key}/approve", {"back": FLAG_PAGE})
    assert approved.status_code == 200 and "Applied" in approved.text
    assert f"{FLAG_PAGE}/environments/prod/kill" in approved.text

    client.cookies.clear()
    web_login(client, people["pm"])  # product: changes flags anywhere, but pulls no prod kill switch
    flag_page = client.get(FLAG_PAGE).text
    assert "Edit targeting and rollout in prod" in flag_page and f"{FLAG_PAGE}/environments/dev/kill" in flag_page
    assert f"{FLAG_PAGE}/environments/prod/kill" not in flag_page
    assert "in prod only members of the team flight-software with the role team or admin may pull it" in flag_page
