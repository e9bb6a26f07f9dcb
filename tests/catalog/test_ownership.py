"""Ownership through the service, and who may be the second person for a change to an environment."""

from __future__ import annotations

import pytest

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd
from tests.factories import actor_of, make_user
from tests.teams.helpers import drone_teams


@pytest.fixture
def owned(runtime: Runtime) -> Runtime:
    """flight-control belongs to flight-software (fiona, fred); pavel is in power-systems; tess has the team
    role and no team; pia is platform; ada is admin."""
    drone_teams(runtime)
    make_user(runtime, "fred", Role.TEAM)
    make_user(runtime, "tess", Role.TEAM)
    make_user(runtime, "ada", Role.ADMIN)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_member(uow, "flight-software", MemberAdd(username="fred", team_role="engineer"))
        catalog.register_service(
            uow, ServiceCreate(key="flight-control", name="Flight control", owner_team="flight-software")
        )
    return runtime


def _may_change(runtime: Runtime, who: str) -> bool:
    with runtime.store.unit_of_work(actor_of(runtime, who), write=False) as uow:
        return catalog.may_change_service(uow, "flight-control", Permission.DELIVERY_WRITE)


def test_only_members_of_the_owning_team_change_what_it_owns(owned: Runtime) -> None:
    answers = {who: _may_change(owned, who) for who in ("fiona", "fred", "pavel", "tess", "vic", "ada")}
    assert answers == {"fiona": True, "fred": True, "pavel": False, "tess": False, "vic": False, "ada": True}
    with (
        owned.store.unit_of_work(actor_of(owned, "pavel")) as uow,
        pytest.raises(PermissionDenied, match="members of the team flight-software") as refused,
    ):
        catalog.require_service_owner(uow, "flight-control", Permission.DELIVERY_WRITE, what="the secrets of it")
    assert refused.value.detail.startswith("pavel may not change the secrets of it")


def _may_approve(runtime: Runtime, who: str, requester: str) -> bool:
    requester_id = actor_of(runtime, requester).user_id
    with runtime.store.unit_of_work(actor_of(runtime, who), write=False) as uow:
        return catalog.may_approve(uow, "flight-control", "prod", requester_id)


def test_the_second_person_is_another_member_of_the_owning_team(owned: Runtime) -> None:
    assert _may_approve(owned, "fred", requester="fiona")
    assert not _may_approve(owned, "fiona", requester="fiona")  # never the requester
    assert not _may_approve(owned, "pavel", requester="fiona")  # another team
    assert not _may_approve(owned, "tess", requester="fiona")  # a role, no team
    assert not _may_approve(owned, "pia", requester="fiona")  # platform is not entitled by its role
    assert _may_approve(owned, "ada", requester="fiona")


def test_an_approver_group_set_by_the_owners_entitles_others(owned: Runtime) -> None:
    spec = EnvironmentSpec(
        name="prod", approval_roles=[Role.TEAM, Role.ADMIN], approvers=["team:power-systems", "tess"]
    )
    with owned.store.unit_of_work(actor_of(owned, "fiona")) as uow:
        prod = catalog.set_environment_policy(uow, "flight-control", spec)
    assert prod.approvers == ["team:power-systems", "tess"]
    assert _may_approve(owned, "pavel", requester="fiona")
    assert _may_approve(owned, "tess", requester="fiona")
    assert not _may_approve(owned, "pia", requester="fiona")


def test_only_owners_or_the_platform_set_the_approvers_and_only_real_ones(owned: Runtime) -> None:
    spec = EnvironmentSpec(name="prod", approvers=["pavel"])
    with owned.store.unit_of_work(actor_of(owned, "pavel")) as uow, pytest.raises(PermissionDenied):
        catalog.set_environment_policy(uow, "flight-control", spec)
    with owned.store.unit_of_work(actor_of(owned, "pia")) as uow:
        assert catalog.set_environment_policy(uow, "flight-control", spec).approvers == ["pavel"]
    bad = EnvironmentSpec(name="prod", approvers=["nobody", "team:ghosts"])
    with owned.store.unit_of_work(actor_of(owned, "fiona")) as uow, pytest.raises(ValidationFailed) as refused:
        catalog.set_environment_policy(uow, "flight-control", bad)
    assert refused.value.problems[0].field == "approvers"
    assert "nobody, team:ghosts" in refused.value.problems[0].reason
    with owned.store.unit_of_work(actor_of(owned, "fiona"), write=False) as uow:
        assert catalog.get_environment(uow, "flight-control", "prod").approvers == ["pavel"]
