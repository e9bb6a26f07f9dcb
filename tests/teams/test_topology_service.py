"""Owned domains, interactions, members and warnings through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from digital_factory.accounts.schemas import AuditFilter
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import (
    Channel,
    Complexity,
    DomainCreate,
    DomainUpdate,
    DurationUnit,
    InteractionCreate,
    InteractionMode,
    InteractionUpdate,
    MemberUpdate,
    TeamCreate,
    TeamProfile,
    TeamType,
    TeamUpdate,
)
from tests.factories import actor_of
from tests.teams.helpers import drone_teams, fix_clock

XAAS, COLLAB, FACIL = InteractionMode.X_AS_A_SERVICE, InteractionMode.COLLABORATION, InteractionMode.FACILITATING


def test_domains_are_owned_by_one_team_and_load_warnings_follow(runtime: Runtime) -> None:
    drone_teams(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:  # a member maintains their team
        first = teams.add_domain(
            uow, "flight-software", DomainCreate(name="Flight control", complexity=Complexity.COMPLEX)
        )
        assert (first.key, first.owner_team, first.complexity) == ("flight-control", "flight-software", "complex")
        assert teams.team_detail(uow, "flight-software").warnings == []
        teams.add_domain(uow, "flight-software", DomainCreate(name="Mission planning", complexity=Complexity.SIMPLE))
        detail = teams.team_detail(uow, "flight-software")
    assert [d.name for d in detail.domains] == ["Flight control", "Mission planning"]
    assert [w.rule for w in detail.warnings] == ["complex-domain-not-alone"]

    with pytest.raises(Conflict) as refused, runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        teams.add_domain(uow, "power-systems", DomainCreate(name="Flight control", complexity=Complexity.SIMPLE))
    assert refused.value.rule == "one-team-per-domain" and "owned by flight-software" in refused.value.detail

    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        teams.add_domain(uow, "flight-software", DomainCreate(name="Navigation", complexity=Complexity.SIMPLE))
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        teams.update_domain(uow, "flight-control", DomainUpdate(complexity=Complexity.SIMPLE))
    # handing a domain to another team is an organisational decision
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        teams.update_domain(uow, "mission-planning", DomainUpdate(owner_team="power-systems"))
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        moved = teams.update_domain(uow, "mission-planning", DomainUpdate(owner_team="power-systems"))
        assert moved.owner_team == "power-systems"
        assert teams.team_detail(uow, "flight-software").warnings == []
        unowned = teams.update_domain(uow, "mission-planning", DomainUpdate(owner_team=None))
        assert unowned.owner_team is None
        teams.delete_domain(uow, "mission-planning")
        assert [d.key for d in teams.list_domains(uow)] == ["flight-control"]
        entries = list_audit_entries(uow, AuditFilter(object_type="domain"), PageRequest()).items
    assert [e.action for e in entries][:3] == ["domain.delete", "domain.update", "domain.update"]


def test_two_complicated_and_too_many_domains(runtime: Runtime) -> None:
    drone_teams(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        for name, complexity in (
            ("Battery chemistry", Complexity.COMPLICATED),
            ("Charging", Complexity.COMPLICATED),
            ("Power budget", Complexity.SIMPLE),
        ):
            teams.add_domain(uow, "power-systems", DomainCreate(name=name, complexity=complexity))
        assert [w.rule for w in teams.team_warnings(uow, "power-systems")] == ["several-complicated-domains"]
        teams.add_domain(uow, "power-systems", DomainCreate(name="Cabling", complexity=Complexity.SIMPLE))
        assert [w.rule for w in teams.team_warnings(uow, "power-systems")] == [
            "several-complicated-domains",
            "too-many-domains",
        ]


def test_interaction_mode_rules(runtime: Runtime) -> None:
    drone_teams(runtime)
    fix_clock(runtime)
    today = runtime.store.clock.now().date()
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        xaas = teams.create_interaction(
            uow,
            InteractionCreate(team="flight-software", with_team="platform", mode=XAAS, purpose="CI/CD and envs"),
        )
    assert (xaas.team, xaas.with_team, xaas.starts_on, xaas.current) == ("flight-software", "platform", today, True)
    assert (xaas.role_of("flight-software"), xaas.role_of("platform")) == ("consumer", "provider")

    def refused(data: InteractionCreate) -> Exception:
        with (
            pytest.raises((ValidationFailed, Conflict)) as caught,
            runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow,
        ):
            teams.create_interaction(uow, data)
        return caught.value

    self_interaction = refused(InteractionCreate(team="platform", with_team="platform", mode=COLLAB))
    assert isinstance(self_interaction, ValidationFailed) and self_interaction.problems[0].field == "with_team"
    backwards = refused(
        InteractionCreate(
            team="platform", with_team="power-systems", mode=COLLAB, starts_on=today, ends_on=today - timedelta(1)
        )
    )
    assert isinstance(backwards, ValidationFailed) and backwards.problems[0].field == "ends_on"
    duplicate = refused(InteractionCreate(team="flight-software", with_team="platform", mode=XAAS))
    assert isinstance(duplicate, Conflict) and duplicate.rule == "one-interaction-per-mode"
    # collaboration is symmetric: the same pair the other way round is the same collaboration
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_interaction(uow, InteractionCreate(team="power-systems", with_team="platform", mode=COLLAB))
    assert isinstance(refused(InteractionCreate(team="platform", with_team="power-systems", mode=COLLAB)), Conflict)
    # the reverse x-as-a-service (platform consuming flight software) is a different interaction
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_interaction(uow, InteractionCreate(team="platform", with_team="flight-software", mode=XAAS))
    # a member of neither team may not record one
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        teams.create_interaction(uow, InteractionCreate(team="flight-software", with_team="coaching", mode=FACIL))


def test_interactions_end_and_the_topology_shows_only_current_ones(runtime: Runtime) -> None:
    drone_teams(runtime)
    clock = fix_clock(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        collaboration = teams.create_interaction(
            uow,
            InteractionCreate(
                team="flight-software",
                with_team="platform",
                mode=COLLAB,
                purpose="discover the telemetry pipeline",
                starts_on=date(2026, 4, 1),
                expected_duration=4,
                expected_duration_unit=DurationUnit.WEEKS,
            ),
        )
        assert collaboration.expected_end == date(2026, 4, 29)
        teams.create_interaction(
            uow,
            InteractionCreate(
                team="coaching", with_team="power-systems", mode=FACIL, starts_on=date(2026, 7, 1)
            ),  # planned
        )
        assert [w.rule for w in teams.team_warnings(uow, "platform")] == ["collaboration-overdue"]
        topology = teams.topology_view(uow)
    assert [i.mode for i in topology.interactions] == ["collaboration"]
    nodes = {n.key: n for n in topology.teams}
    assert nodes["platform"].warnings == 1 and nodes["platform"].members == 1
    assert nodes["coaching"].team_type is TeamType.ENABLING

    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        ended = teams.end_interaction(uow, collaboration.id)
        assert ended.ends_on == date(2026, 6, 1) and ended.current  # still today
        teams.create_interaction(
            uow, InteractionCreate(team="flight-software", with_team="platform", mode=XAAS, starts_on=date(2026, 6, 2))
        )
    clock.advance(timedelta(days=1))
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        assert [(i.mode, i.team) for i in teams.topology_view(uow).interactions] == [
            ("x-as-a-service", "flight-software")
        ]
        assert teams.team_warnings(uow, "platform") == []
        assert len(teams.list_interactions(uow, team="flight-software")) == 2
        assert len(teams.list_interactions(uow, team="flight-software", current=True)) == 1
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        reopened = teams.update_interaction(uow, collaboration.id, InteractionUpdate(reopen=True))
        assert reopened.ends_on is None
        assert "mixed-modes" in [w.rule for w in teams.team_warnings(uow, "flight-software")]
        teams.delete_interaction(uow, collaboration.id)
    with pytest.raises(NotFound), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.get_interaction(uow, collaboration.id)


def test_members_maintain_their_own_team_only(runtime: Runtime) -> None:
    drone_teams(runtime)
    profile = TeamProfile(channels=[Channel(type="slack", name="#flight-sw")], search_terms=["autopilot"])
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        updated = teams.update_team(uow, "flight-software", TeamUpdate(mission="Fly heavier drones", profile=profile))
        assert updated.mission == "Fly heavier drones" and updated.profile.channels[0].name == "#flight-sw"
        teams.update_member(uow, "flight-software", "fiona", MemberUpdate(team_role="engineering lead"))
    forbidden: list[Callable[[UnitOfWork], object]] = [
        lambda uow: teams.update_team(uow, "flight-software", TeamUpdate(team_type=TeamType.PLATFORM)),
        lambda uow: teams.update_team(uow, "power-systems", TeamUpdate(mission="not mine")),
        lambda uow: teams.remove_member(uow, "flight-software", "fiona"),
    ]
    for attempt in forbidden:
        with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
            attempt(uow)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        team = teams.update_team(uow, "flight-software", TeamUpdate(team_type=TeamType.COMPLICATED_SUBSYSTEM))
        assert team.team_type is TeamType.COMPLICATED_SUBSYSTEM
        assert [m.team_role for m in team.members] == ["engineering lead"]
        assert [t.key for t in teams.member_teams(uow, "fiona")] == ["flight-software"]
        assert teams.remove_member(uow, "flight-software", "fiona").members == []
        page = teams.list_teams(uow, PageRequest(), team_type=TeamType.STREAM_ALIGNED)
    assert [t.key for t in page.items] == ["power-systems"]


def test_reserved_team_keys(runtime: Runtime) -> None:
    drone_teams(runtime)
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="import", name="Import"))
    assert refused.value.problems[0].field == "key"
