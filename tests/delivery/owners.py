"""The team that owns a delivery test's service: changes to it need membership (docs/accounts.md, "Ownership")."""

from __future__ import annotations

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import NotFound
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate

DRONES = "drone-crew"


def owning_team(runtime: Runtime, *members: str, key: str = DRONES) -> str:
    """The team `key` (made if missing, through the teams service) with `members` in it; returns its key."""
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        try:
            teams.team_id(uow, key)
        except NotFound:
            teams.create_team(uow, TeamCreate(key=key, name=key.replace("-", " ").title()))
        for username in members:
            teams.add_member(uow, key, MemberAdd(username=username))
    return key
