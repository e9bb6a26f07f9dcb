"""API tokens: format, digest-only storage, scopes, revocation."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, TokenCreate
from digital_factory.accounts.service import generate_secret, parse_secret
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import PermissionDenied, Unauthenticated, ValidationFailed
from tests.factories import actor_of, make_user


def test_token_format_carries_256_random_bits_and_a_checksum() -> None:
    secret = generate_secret("dfat")
    prefix, public_id, rest = secret.full.split("_", 2)
    assert prefix == "dfat" and len(public_id) == 12 and len(rest) == 43 + 7
    assert parse_secret(secret.full, "dfat") == secret
    mangled = secret.full[:-8] + ("A" if secret.full[-8] != "A" else "B") + secret.full[-7:]
    assert parse_secret(mangled, "dfat") is None
    assert parse_secret(secret.full, "dfik") is None


def test_only_digests_are_stored(runtime: Runtime) -> None:
    secrets_issued = [make_user(runtime, f"user{i}").token for i in range(5)]
    with runtime.store.engine.connect() as connection:
        dump = "\n".join(
            str(row)
            for table in ("accounts_api_token", "accounts_audit_event", "accounts_user")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for secret in secrets_issued:
        assert secret not in dump
        random_part = secret[len("dfat_") + 13 : -7]  # the secret may itself contain "_"
        assert len(random_part) == 43 and random_part not in dump


def test_scopes_narrow_and_unknown_scopes_are_refused(runtime: Runtime) -> None:
    make_user(runtime, "ada", Role.ADMIN)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        created = accounts.create_token(uow, runtime.digester, "ada", TokenCreate(name="ro", scopes=["read"]))
    with runtime.store.unit_of_work(system_actor("t"), write=False) as uow:
        resolved = accounts.resolve_token(uow, runtime.digester, created.secret)
    assert resolved.actor.permissions == frozenset({"read"})
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        accounts.create_token(uow, runtime.digester, "ada", TokenCreate(name="x", scopes=["root"]))
    assert refused.value.problems[0].field == "scopes"


def test_token_scopes_cannot_exceed_the_role(runtime: Runtime) -> None:
    made = make_user(runtime, "vic", Role.VIEWER, scopes=["read", "accounts:admin"])
    with runtime.store.unit_of_work(system_actor("t"), write=False) as uow:
        resolved = accounts.resolve_token(uow, runtime.digester, made.token)
    assert resolved.actor.permissions == frozenset({"read"})


def test_losing_a_role_shrinks_the_token_at_once(runtime: Runtime) -> None:
    from digital_factory.accounts.schemas import UserUpdate

    make_user(runtime, "ada", Role.ADMIN)
    pia = make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        accounts.update_user(uow, "pia", UserUpdate(role=Role.VIEWER))
    with runtime.store.unit_of_work(system_actor("t"), write=False) as uow:
        assert "platform:write" not in accounts.resolve_token(uow, runtime.digester, pia.token).actor.permissions


def test_deactivated_user_token_is_refused(runtime: Runtime) -> None:
    from digital_factory.accounts.schemas import UserUpdate

    make_user(runtime, "ada", Role.ADMIN)
    bob = make_user(runtime, "bob", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        accounts.update_user(uow, "bob", UserUpdate(is_active=False))
    with pytest.raises(Unauthenticated), runtime.store.unit_of_work(system_actor("t"), write=False) as uow:
        accounts.resolve_token(uow, runtime.digester, bob.token)


def test_others_tokens_are_off_limits(runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    eve = make_user(runtime, "eve", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "bob"), write=False) as uow:
        own = accounts.list_tokens(uow, "bob")
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "eve")) as uow:
        accounts.revoke_token(uow, own[0].public_id)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "eve")) as uow:
        accounts.create_token(uow, runtime.digester, "bob", TokenCreate(name="mine now"))
    assert eve.token
