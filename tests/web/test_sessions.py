"""Web sign-in, cookie sessions and CSRF protection."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.app.factory import Runtime, build_runtime, create_app
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.settings import Settings
from tests.factories import CSRF_META, make_user, web_login

ORIGIN = {"Origin": "http://testserver"}


def test_pages_need_a_session(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/admin/users"
    htmx = client.get("/admin/users", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"] == "/login?next=/admin/users"


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    response = client.post(
        "/login", data={"username": "bob", "password": bob.password}, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "factory_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "secure" not in cookie.lower()  # plain http in tests; https adds Secure and __Host- (below)
    old_cookie = client.cookies.get("factory_session")
    page = client.get("/")
    assert page.status_code == 200 and "The product loop" in page.text
    assert page.headers["cache-control"] == "no-store"

    csrf = CSRF_META.search(page.text).group(1)  # type: ignore[union-attr]
    client.post("/logout", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False)
    assert old_cookie
    client.cookies.set("factory_session", old_cookie)  # replaying the ended session's cookie
    assert client.get("/", follow_redirects=False).status_code == 303


def test_https_public_url_uses_host_prefixed_secure_cookie(settings: Settings, tmp_path: object) -> None:
    secure = settings.model_copy(update={"public_url": "https://factory.example"})
    runtime = build_runtime(secure)
    bob = make_user(runtime, "bob", Role.TEAM)
    with TestClient(create_app(secure, runtime=runtime), base_url="https://factory.example") as client:
        response = client.post(
            "/login",
            data={"username": "bob", "password": bob.password},
            headers={"Origin": "https://factory.example"},
            follow_redirects=False,
        )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-factory_session=") and "Secure" in cookie and "Path=/" in cookie
    runtime.store.dispose()


def test_unsafe_requests_need_the_csrf_token_and_our_origin(client: TestClient, runtime: Runtime) -> None:
    ada = make_user(runtime, "ada", Role.ADMIN)
    csrf = web_login(client, ada)
    form = {"username": "newbie", "role": "viewer"}
    assert client.post("/admin/users", data=form, headers=ORIGIN).status_code == 403
    assert client.post("/admin/users", data={**form, "csrf_token": "wrong"}, headers=ORIGIN).status_code == 403
    foreign = {"Origin": "https://evil.example"}
    assert client.post("/admin/users", data={**form, "csrf_token": csrf}, headers=foreign).status_code == 403
    sibling = {"Origin": "http://sub.testserver"}
    assert client.post("/admin/users", data={**form, "csrf_token": csrf}, headers=sibling).status_code == 403
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/admin/users", data={**form, "csrf_token": csrf}, headers=cross).status_code == 403
    assert "newbie" not in client.get("/admin/users").text
    created = client.post("/admin/users", data={**form, "csrf_token": csrf}, headers=ORIGIN)
    assert created.status_code == 200 and "One-time password" in created.text
    via_header = client.post(
        "/admin/users", data={"username": "second", "role": "viewer"}, headers={**ORIGIN, "X-CSRF-Token": csrf}
    )
    assert via_header.status_code == 200 and "second" in via_header.text


def test_wrong_password_is_refused_and_throttled(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    statuses = [
        client.post("/login", data={"username": "bob", "password": "not the password"}, headers=ORIGIN).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    ada = make_user(runtime, "ada", Role.ADMIN)
    web_login(client, ada)
    audit = client.get("/admin/audit", params={"action": "session.login"}).text
    assert audit.count("failure") >= 10


def test_one_time_password_must_be_changed_first(client: TestClient, runtime: Runtime) -> None:
    from digital_factory.app.factory import prepare_store

    admin = prepare_store(runtime)
    assert admin is not None and admin.one_time_password
    response = client.post(
        "/login",
        data={"username": "admin", "password": admin.one_time_password},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.headers["location"] == "/account/password"
    assert client.get("/admin/users", follow_redirects=False).headers["location"] == "/account/password"
    page = client.get("/account/password")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    mismatch = client.post(
        "/account/password",
        headers=ORIGIN,
        data={
            "csrf_token": csrf,
            "current_password": admin.one_time_password,
            "new_password": "a fine new password",
            "repeat_password": "another password",
        },
    )
    assert mismatch.status_code == 422 and "does not match" in mismatch.text
    done = client.post(
        "/account/password",
        headers=ORIGIN,
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "current_password": admin.one_time_password,
            "new_password": "a fine new password",
            "repeat_password": "a fine new password",
        },
    )
    assert done.status_code == 303
    assert client.get("/admin/users").status_code == 200


def test_open_redirect_after_login_is_refused(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    response = client.post(
        "/login",
        data={"username": "bob", "password": bob.password, "next": "//evil.example/phish"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self';" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_tokens_on_the_account_page(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, bob)
    created = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "laptop", "expires_in_days": "30"}, headers=ORIGIN
    )
    assert created.status_code == 200
    secret = created.text.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("dfat_")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["user"]["username"] == "bob"
    bad = client.post(
        "/account/tokens", data={"csrf_token": csrf, "name": "x", "expires_in_days": "9999"}, headers=ORIGIN
    )
    assert bad.status_code == 422 and "expires_in_days" in bad.text


def test_viewer_sees_users_but_cannot_change_them(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    vic = make_user(runtime, "vic", Role.VIEWER)
    csrf = web_login(client, vic)
    page = client.get("/admin/users")
    assert page.status_code == 200 and "Add a user" not in page.text
    refused = client.post("/admin/users/bob", data={"csrf_token": csrf, "role": "admin"}, headers=ORIGIN)
    assert refused.status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_a_refused_form_leaves_a_refused_audit_entry(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    vic = make_user(runtime, "vic", Role.VIEWER)
    csrf = web_login(client, vic)
    assert (
        client.post("/admin/users/bob", data={"csrf_token": csrf, "role": "admin"}, headers=ORIGIN).status_code == 403
    )
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        entries = accounts.list_audit_entries(uow, AuditFilter(actor="vic"), PageRequest(limit=10)).items
        bob = accounts.get_user(uow, "bob")
    refused = [e for e in entries if e.outcome == "refused"]
    assert [(e.action, e.object_id, e.origin) for e in refused] == [
        ("POST /admin/users/{username}", "/admin/users/bob", "web")
    ]
    assert refused[0].detail is not None and "accounts:admin" in refused[0].detail
    assert bob.role == Role.TEAM
