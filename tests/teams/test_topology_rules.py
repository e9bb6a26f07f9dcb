"""The Team Topologies heuristics as pure functions: domain load, team size, interaction modes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from digital_factory.teams import topology
from digital_factory.teams.schemas import Complexity, DurationUnit, Interaction, InteractionMode, TeamType

S, CD, CX = Complexity.SIMPLE, Complexity.COMPLICATED, Complexity.COMPLEX


def rules(domains: list[tuple[str, Complexity]]) -> list[str]:
    return [w.rule for w in topology.domain_load_warnings(domains)]


@pytest.mark.parametrize(
    ("domains", "expected"),
    [
        ([], []),
        ([("a", S)], []),
        ([("a", S), ("b", S), ("c", S)], []),  # 2-3 simple domains are fine
        ([("a", CD)], []),
        ([("a", CD), ("b", S)], []),
        ([("a", CX)], []),  # a complex domain on its own
        ([("a", CX), ("b", S)], ["complex-domain-not-alone"]),  # not even a simple one beside it
        ([("a", CX), ("b", CX)], ["several-complex-domains"]),
        ([("a", CD), ("b", CD)], ["several-complicated-domains"]),
        ([("a", S), ("b", S), ("c", S), ("d", S)], ["too-many-domains"]),
        (
            [("a", CX), ("b", CD), ("c", CD), ("d", S)],
            ["complex-domain-not-alone", "several-complicated-domains", "too-many-domains"],
        ),
    ],
)
def test_domain_load_heuristics(domains: list[tuple[str, Complexity]], expected: list[str]) -> None:
    assert rules(domains) == expected


def test_domain_warnings_name_the_domains_and_their_source() -> None:
    (warning,) = topology.domain_load_warnings([("Flight control", CX), ("Telemetry", S)])
    assert "Flight control" in warning.message and "1 other domain" in warning.message
    assert warning.severity == "warning"
    assert "Team Topologies" in warning.source


def test_team_size() -> None:
    assert topology.team_size_warnings(9) == []
    (warning,) = topology.team_size_warnings(10)
    assert warning.rule == "team-too-large" and warning.severity == "notice" and "10 members" in warning.message


def test_expected_end_in_days_weeks_and_months() -> None:
    start = date(2026, 1, 31)
    assert topology.expected_end(start, None, None) is None
    assert topology.expected_end(start, 10, DurationUnit.DAYS) == date(2026, 2, 10)
    assert topology.expected_end(start, 2, DurationUnit.WEEKS) == date(2026, 2, 14)
    assert topology.expected_end(start, 1, DurationUnit.MONTHS) == date(2026, 2, 28)  # clamped to the month
    assert topology.expected_end(start, 13, DurationUnit.MONTHS) == date(2027, 2, 28)


def test_is_current() -> None:
    today = date(2026, 6, 1)
    assert topology.is_current(date(2026, 5, 1), None, today)
    assert topology.is_current(date(2026, 6, 1), date(2026, 6, 1), today)
    assert not topology.is_current(date(2026, 6, 2), None, today)  # planned
    assert not topology.is_current(date(2026, 1, 1), date(2026, 5, 31), today)  # over


TODAY = date(2026, 6, 1)


def interaction(
    team: str,
    with_team: str,
    mode: InteractionMode,
    *,
    starts_on: date = date(2026, 5, 1),
    duration: tuple[int, DurationUnit] | None = None,
) -> Interaction:
    unit = duration[1] if duration else None
    return Interaction(
        id=1,
        team=team,
        team_name=team.title(),
        with_team=with_team,
        with_team_name=with_team.title(),
        mode=mode,
        purpose="",
        starts_on=starts_on,
        ends_on=None,
        expected_duration=duration[0] if duration else None,
        expected_duration_unit=unit,
        expected_end=topology.expected_end(starts_on, duration[0], unit) if duration else None,
        current=topology.is_current(starts_on, None, TODAY),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


TYPES = {
    "flight": TeamType.STREAM_ALIGNED,
    "power": TeamType.STREAM_ALIGNED,
    "engines": TeamType.STREAM_ALIGNED,
    "platform": TeamType.PLATFORM,
    "coaches": TeamType.ENABLING,
}
COLLAB, XAAS, FACIL = InteractionMode.COLLABORATION, InteractionMode.X_AS_A_SERVICE, InteractionMode.FACILITATING


def interaction_rules(team: str, interactions: list[Interaction]) -> list[str]:
    return [w.rule for w in topology.interaction_warnings(team, TYPES, interactions, TODAY)]


def test_x_as_a_service_is_long_lived_and_fine() -> None:
    old = interaction("flight", "platform", XAAS, starts_on=date(2020, 1, 1))
    assert interaction_rules("flight", [old]) == []
    assert interaction_rules("platform", [old]) == []


def test_temporary_modes_overdue_after_expected_end_or_the_usual_few_weeks() -> None:
    within = interaction("flight", "power", COLLAB, starts_on=date(2026, 5, 1), duration=(6, DurationUnit.WEEKS))
    assert interaction_rules("flight", [within]) == []
    past = interaction("flight", "power", COLLAB, starts_on=date(2026, 4, 1), duration=(4, DurationUnit.WEEKS))
    assert interaction_rules("flight", [past]) == ["collaboration-overdue"]
    assert interaction_rules("power", [past]) == ["collaboration-overdue"]  # both sides see it
    # no expected duration: collaboration may run 12 weeks, facilitating 6
    assert interaction_rules("flight", [interaction("flight", "power", COLLAB, starts_on=date(2026, 3, 10))]) == []
    assert interaction_rules("flight", [interaction("flight", "power", COLLAB, starts_on=date(2026, 3, 1))]) == [
        "collaboration-overdue"
    ]
    assert interaction_rules("coaches", [interaction("coaches", "flight", FACIL, starts_on=date(2026, 4, 25))]) == []
    facilitating = interaction("coaches", "flight", FACIL, starts_on=date(2026, 4, 1))
    assert interaction_rules("coaches", [facilitating]) == ["facilitating-overdue"]


def test_at_most_one_collaboration_at_a_time() -> None:
    first = interaction("flight", "power", COLLAB)
    second = interaction("engines", "flight", COLLAB)
    assert interaction_rules("flight", [first]) == []
    assert interaction_rules("flight", [first, second]) == ["many-collaborations"]
    assert interaction_rules("power", [first, second]) == []


def test_one_mode_per_pair_at_a_time() -> None:
    both = [interaction("flight", "platform", XAAS), interaction("flight", "platform", COLLAB)]
    assert interaction_rules("flight", both) == ["mixed-modes"]
    assert interaction_rules("platform", both) == ["mixed-modes"]


def test_enabling_team_providing_a_service() -> None:
    wrong = interaction("flight", "coaches", XAAS)
    assert interaction_rules("coaches", [wrong]) == ["enabling-provides-service"]
    assert interaction_rules("flight", [wrong]) == []


def test_interaction_roles_read_from_either_side() -> None:
    xaas = interaction("flight", "platform", XAAS)
    assert (xaas.role_of("flight"), xaas.role_of("platform")) == ("consumer", "provider")
    facilitating = interaction("coaches", "flight", FACIL)
    assert (facilitating.role_of("coaches"), facilitating.role_of("flight")) == ("facilitator", "facilitated")
    assert interaction("flight", "power", COLLAB).role_of("power") == "collaborator"
    assert xaas.other("platform") == ("flight", "Flight")
