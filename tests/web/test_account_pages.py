"""The account and administration pages: a refused form says why with its status, changes show at once."""

from __future__ import annotations

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from tests.factories import make_user, web_login

ORIGIN = {"Origin": "http://testserver"}


def test_a_refused_new_user_is_shown_on_the_users_page(client: TestClient, runtime: Runtime) -> None:
    ada = make_user(runtime, "ada", Role.ADMIN)
    make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, ada)
    taken = client.post("/admin/users", data={"csrf_token": csrf, "username": "bob", "role": "team"}, headers=ORIGIN)
    assert taken.status_code == 409
    assert "a user named &#39;bob&#39; already exists" in taken.text
    assert "Add a user" in taken.text
    invalid = client.post(
        "/admin/users", data={"csrf_token": csrf, "username": "Not Valid", "role": "wizard"}, headers=ORIGIN
    )
    assert invalid.status_code == 422
    assert "username: String should match pattern" in invalid.text and "role: Input should be" in invalid.text


def test_a_viewer_may_not_add_users(client: TestClient, runtime: Runtime) -> None:
    vic = make_user(runtime, "vic", Role.VIEWER)
    csrf = web_login(client, vic)
    refused = client.post("/admin/users", data={"csrf_token": csrf, "username": "eve", "role": "admin"}, headers=ORIGIN)
    assert refused.status_code == 403
    assert "eve" not in client.get("/admin/users").text


def test_an_admin_changes_a_role_and_the_audit_log_shows_it(client: TestClient, runtime: Runtime) -> None:
    ada = make_user(runtime, "ada", Role.ADMIN)
    make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, ada)
    changed = client.post(
        "/admin/users/bob", data={"csrf_token": csrf, "role": "platform"}, headers=ORIGIN, follow_redirects=False
    )
    assert (changed.status_code, changed.headers["location"]) == (303, "/admin/users")
    audit = client.get("/admin/audit", params={"action": "user.update"})
    assert audit.status_code == 200 and "bob" in audit.text and "platform" in audit.text
    assert "user.update" in client.get("/").text  # the overview shows an admin the newest entries


def test_a_revoked_token_is_marked_and_refused(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, bob)
    created = client.post("/account/tokens", data={"csrf_token": csrf, "name": "laptop"}, headers=ORIGIN)
    secret = created.text.split('data-testid="new-token">')[1].split("<")[0]
    public_id = secret.split("_")[1]
    assert f'action="/account/tokens/{public_id}/revoke"' in created.text
    revoked = client.post(
        f"/account/tokens/{public_id}/revoke", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False
    )
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/account")
    page = client.get("/account").text
    assert f"<code>{public_id}</code>" in page
    assert f'action="/account/tokens/{public_id}/revoke"' not in page  # nothing left to revoke
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_wrong_current_password_is_refused_on_the_page(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, bob)
    refused = client.post(
        "/account/password",
        headers=ORIGIN,
        data={
            "csrf_token": csrf,
            "current_password": "not it",
            "new_password": "a fine new password",
            "repeat_password": "a fine new password",
        },
    )
    assert refused.status_code == 422
    assert "current_password: is not your current password" in refused.text


def test_signing_out_ends_the_session(client: TestClient, runtime: Runtime) -> None:
    bob = make_user(runtime, "bob", Role.TEAM)
    csrf = web_login(client, bob)
    out = client.post("/logout", data={"csrf_token": csrf}, headers=ORIGIN, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"
