from __future__ import annotations

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied
from digital_factory.core.pagination import PageRequest
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate, TeamType
from tests.factories import actor_of, make_user


def test_team_with_members(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "erin", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines", team_type=TeamType.STREAM_ALIGNED))
        team = teams.add_member(uow, "engines", MemberAdd(username="erin", team_role="tech lead"))
    assert [(m.username, m.team_role) for m in team.members] == [("erin", "tech lead")]
    with runtime.store.unit_of_work(actor_of(runtime, "erin"), write=False) as uow:
        page = teams.list_teams(uow, PageRequest())
    assert [t.key for t in page.items] == ["engines"] and page.total == 1


def test_team_rules(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "vic", Role.VIEWER)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines"))
    with pytest.raises(Conflict), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Other"))
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "vic")) as uow:
        teams.create_team(uow, TeamCreate(key="viewers", name="Viewers"))
    with pytest.raises(NotFound), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_member(uow, "engines", MemberAdd(username="ghost"))
