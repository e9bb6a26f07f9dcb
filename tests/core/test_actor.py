"""Actors: who acts and through which door, and what they may do."""

from __future__ import annotations

import dataclasses

import pytest

from digital_factory.core.actor import Actor, Origin, system_actor


def test_an_actor_can_what_its_permissions_name() -> None:
    actor = Actor(user_id=7, name="ada", role="team", permissions=frozenset({"read", "delivery:write"}))
    assert actor.can("read")
    assert actor.can("delivery:write")
    assert not actor.can("accounts:admin")
    assert (actor.origin, actor.token_id, actor.ip) == (Origin.SYSTEM, None, None)


def test_without_permissions_an_actor_can_nothing() -> None:
    assert not Actor(user_id=1, name="vic", role="viewer").can("read")


def test_the_system_actor_is_an_admin_with_the_wildcard() -> None:
    actor = system_actor()
    assert (actor.user_id, actor.name, actor.role, actor.origin) == (None, "system", "admin", Origin.SYSTEM)
    assert actor.permissions == frozenset({"*"})
    assert actor.can("*")
    assert not actor.can("read")  # the wildcard is interpreted by the accounts policy, not here


def test_the_system_actor_can_be_named_and_narrowed() -> None:
    actor = system_actor("reaper", frozenset({"delivery:write"}))
    assert actor.name == "reaper"
    assert actor.permissions == frozenset({"delivery:write"})
    assert system_actor("empty", frozenset()).permissions == frozenset()


def test_actors_are_immutable_values() -> None:
    actor = system_actor("cli")
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.name = "other"  # type: ignore[misc]
    assert actor == system_actor("cli")
    assert dataclasses.replace(actor, origin=Origin.CLI).origin == "cli"


def test_origins_are_their_wire_names() -> None:
    assert [str(o) for o in Origin] == ["api", "web", "cli", "git", "demo", "system"]
