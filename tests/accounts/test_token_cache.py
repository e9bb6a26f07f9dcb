"""API tokens resolved through the cache: a hit needs no transaction, yet a revocation or a role change in
this process counts at once, one made elsewhere (another server process) within the cache's second, and a
wrong secret with a known public id is refused from the cache as from the store."""

from __future__ import annotations

from sqlalchemy import update
from starlette.testclient import TestClient

from digital_factory.accounts import models
from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, UserUpdate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from tests.factories import actor_of, make_user


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_cached_token_is_revoked_at_once_in_this_process(client: TestClient, runtime: Runtime) -> None:
    petra = make_user(runtime, "petra", Role.PRODUCT)
    assert _me(client, petra.token) == 200  # now cached
    public_id = accounts.parse_secret(petra.token, accounts.TOKEN_PREFIX)
    assert public_id is not None
    with runtime.store.unit_of_work(actor_of(runtime, "petra")) as uow:
        accounts.revoke_token(uow, public_id.public_id)
    assert _me(client, petra.token) == 401


def test_a_role_change_drops_the_owners_cached_tokens(client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "root", Role.ADMIN)
    petra = make_user(runtime, "petra", Role.PRODUCT)
    headers = {"Authorization": f"Bearer {petra.token}"}
    assert "portfolio:write" in client.get("/api/v1/me", headers=headers).json()["permissions"]
    with runtime.store.unit_of_work(actor_of(runtime, "root")) as uow:
        accounts.update_user(uow, "petra", UserUpdate(role=Role.VIEWER))
    assert "portfolio:write" not in client.get("/api/v1/me", headers=headers).json()["permissions"]


def test_a_revocation_made_by_another_process_counts_once_the_entry_is_old(
    client: TestClient, runtime: Runtime
) -> None:
    petra = make_user(runtime, "petra", Role.PRODUCT)
    now = [0.0]
    runtime.tokens._clock = lambda: now[0]  # the cache's own clock, moved by hand
    assert _me(client, petra.token) == 200
    with runtime.store.unit_of_work(system_actor("another process")) as uow:  # no event reaches this one
        uow.session.execute(update(models.ApiToken).values(revoked_at=uow.clock.now()))
    assert _me(client, petra.token) == 200  # within the second
    now[0] = runtime.tokens.ttl + 0.01
    assert _me(client, petra.token) == 401


def test_a_wrong_secret_with_a_cached_public_id_is_refused(client: TestClient, runtime: Runtime) -> None:
    petra = make_user(runtime, "petra", Role.PRODUCT)
    assert _me(client, petra.token) == 200
    prefix, public_id, secret = petra.token[:5], petra.token[5:17], petra.token[17:]
    forged = prefix + public_id + ("A" if secret[1] != "A" else "B") + secret[1:]
    assert _me(client, forged) == 401
