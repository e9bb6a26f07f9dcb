"""Users, passwords, the first admin, and the append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from digital_factory.accounts import service as accounts
from digital_factory.accounts.passwords import hash_password, verify_password
from digital_factory.accounts.schemas import Role, UserCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Conflict, Unauthenticated, ValidationFailed
from tests.factories import make_user


def test_first_admin_gets_a_generated_one_time_password(runtime: Runtime) -> None:
    with runtime.store.unit_of_work(system_actor("setup")) as uow:
        first = accounts.ensure_first_admin(uow)
    assert first is not None and first.one_time_password and len(first.one_time_password) >= 16
    assert first.user.role == Role.ADMIN and first.user.must_change_password
    with runtime.store.unit_of_work(system_actor("setup")) as uow:
        assert accounts.ensure_first_admin(uow) is None
        assert accounts.authenticate(uow, "admin", first.one_time_password).username == "admin"


def test_passwords_are_argon2id_and_checked(runtime: Runtime) -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "wrong horse battery staple")
    assert not verify_password(None, "anything at all")
    with pytest.raises(ValidationFailed):
        hash_password("short")


def test_authentication_failures_say_the_same_thing(runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    messages = []
    for username, password in (("bob", "wrong password here"), ("nobody", "wrong password here")):
        with pytest.raises(Unauthenticated) as failed, runtime.store.unit_of_work(system_actor("t")) as uow:
            accounts.authenticate(uow, username, password)
        messages.append(failed.value.detail)
    assert messages[0] == messages[1]


def test_usernames_are_unique(runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    with pytest.raises(Conflict), runtime.store.unit_of_work(system_actor("t")) as uow:
        accounts.create_user(uow, UserCreate(username="bob", role=Role.VIEWER))


def test_audit_log_is_append_only(runtime: Runtime) -> None:
    make_user(runtime, "bob", Role.TEAM)
    for statement in ("UPDATE accounts_audit_event SET actor_name = 'mallory'", "DELETE FROM accounts_audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), runtime.store.engine.begin() as connection:
            connection.execute(text(statement))
    with runtime.store.engine.connect() as connection:
        names = {row[0] for row in connection.execute(text("SELECT actor_name FROM accounts_audit_event"))}
    assert names == {"tests"}


def test_audit_masks_secret_fields(runtime: Runtime) -> None:
    from digital_factory.accounts import audit

    assert audit.mask({"password": "x", "client_secret": "y", "name": "z"}) == {
        "password": "***",
        "client_secret": "***",
        "name": "z",
    }
