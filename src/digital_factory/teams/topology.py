"""Team Topologies heuristics as pure functions: domain load, team size and interaction modes.

Every rule here gives advice (a warning on the team's page and in the API); none refuses a change.
The hard rules (no self-interaction, an end after the start, …) live in the service. Sources are
named on each rule and in docs/teams.md.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from digital_factory.teams.schemas import (
    Complexity,
    DurationUnit,
    Interaction,
    InteractionMode,
    LoadWarning,
    Severity,
    TeamType,
)

BOOK = "Skelton & Pais, Team Topologies (2019), ch. 3"
ARTICLE = "Skelton & Pais, 'Minimize Team Cognitive Load to Increase Flow' (IT Revolution, 2021)"
MODES = "Skelton & Pais, Team Topologies (2019), ch. 7; TeamAPI spec, Definitions"
TEAM_TYPES = "TeamAPI spec, Definitions: enabling teams do not own services"

MAX_DOMAINS = 3
MAX_TEAM_SIZE = 9
# How long a temporary interaction may run when nobody said how long it should [I]: the book calls
# collaboration "a few weeks" to months and facilitating "no more than a few weeks".
DEFAULT_LIMIT = {InteractionMode.COLLABORATION: timedelta(weeks=12), InteractionMode.FACILITATING: timedelta(weeks=6)}
TEMPORARY = frozenset({InteractionMode.COLLABORATION, InteractionMode.FACILITATING})


def domain_load_warnings(domains: Sequence[tuple[str, Complexity]]) -> list[LoadWarning]:
    """The book's domain-assignment heuristics for one team's owned domains (name, complexity)."""
    counts = Counter(complexity for _, complexity in domains)
    complex_names = [name for name, c in domains if c is Complexity.COMPLEX]
    complicated_names = [name for name, c in domains if c is Complexity.COMPLICATED]
    total = len(domains)
    warnings: list[LoadWarning] = []
    if counts[Complexity.COMPLEX] >= 2:
        warnings.append(
            _warn(
                "several-complex-domains",
                f"owns {counts[Complexity.COMPLEX]} complex domains ({_names(complex_names)}); a team owning a "
                "complex domain should own no other domain: give each to its own team",
                BOOK,
            )
        )
    elif counts[Complexity.COMPLEX] == 1 and total > 1:
        warnings.append(
            _warn(
                "complex-domain-not-alone",
                f"owns the complex domain {complex_names[0]} and {total - 1} other domain(s); a team owning a "
                "complex domain should own no other, not even a simple one",
                BOOK,
            )
        )
    if counts[Complexity.COMPLICATED] >= 2:
        warnings.append(
            _warn(
                "several-complicated-domains",
                f"owns {counts[Complexity.COMPLICATED]} complicated domains ({_names(complicated_names)}); avoid a "
                "single team with two complicated domains",
                BOOK,
            )
        )
    if total > MAX_DOMAINS:
        warnings.append(
            _warn(
                "too-many-domains",
                f"owns {total} domains; a team of 7-9 people can take 2-3 simple domains",
                BOOK,
            )
        )
    return warnings


def team_size_warnings(members: int) -> list[LoadWarning]:
    if members > MAX_TEAM_SIZE:
        return [
            LoadWarning(
                rule="team-too-large",
                severity=Severity.NOTICE,
                message=f"has {members} members; teams of 5-9 people keep the trust a team needs",
                source="Skelton & Pais, Team Topologies (2019), ch. 2 (Dunbar's number)",
            )
        ]
    return []


def expected_end(starts_on: date, duration: int | None, unit: DurationUnit | None) -> date | None:
    if duration is None or unit is None:
        return None
    if unit is DurationUnit.DAYS:
        return starts_on + timedelta(days=duration)
    if unit is DurationUnit.WEEKS:
        return starts_on + timedelta(weeks=duration)
    return add_months(starts_on, duration)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_current(starts_on: date, ends_on: date | None, today: date) -> bool:
    return starts_on <= today and (ends_on is None or ends_on >= today)


def interaction_warnings(
    team_key: str, team_types: dict[str, TeamType], interactions: Iterable[Interaction], today: date
) -> list[LoadWarning]:
    """Heuristics on the team's current interactions (`team_types`: every involved team's type)."""
    current = [i for i in interactions if i.current and team_key in (i.team, i.with_team)]
    warnings = [w for i in current if (w := _overdue(team_key, i, today)) is not None]
    collaborations = [i for i in current if i.mode is InteractionMode.COLLABORATION]
    if len(collaborations) > 1:
        partners = _names([i.other(team_key)[0] for i in collaborations])
        warnings.append(
            _warn(
                "many-collaborations",
                f"collaborates with {len(collaborations)} teams at once ({partners}); collaboration is costly, "
                "so a team should collaborate with at most one other team at a time",
                MODES,
            )
        )
    by_partner: dict[str, set[InteractionMode]] = defaultdict(set)
    for i in current:
        by_partner[i.other(team_key)[0]].add(i.mode)
    for partner, modes in sorted(by_partner.items()):
        if len(modes) > 1:
            warnings.append(
                _warn(
                    "mixed-modes",
                    f"interacts with {partner} in {len(modes)} modes at once ({_names(sorted(modes))}); "
                    "agree on one mode per pair of teams at a time",
                    MODES,
                )
            )
    if team_types.get(team_key) is TeamType.ENABLING:
        for i in current:
            if i.mode is InteractionMode.X_AS_A_SERVICE and i.with_team == team_key:
                warnings.append(
                    _warn(
                        "enabling-provides-service",
                        f"provides something as a service to {i.team}; enabling teams facilitate and step back "
                        "rather than own services: hand it to a platform or stream-aligned team",
                        TEAM_TYPES,
                    )
                )
    return warnings


def _overdue(team_key: str, interaction: Interaction, today: date) -> LoadWarning | None:
    if interaction.mode not in TEMPORARY:
        return None
    due = interaction.expected_end or interaction.starts_on + DEFAULT_LIMIT[interaction.mode]
    if today <= due:
        return None
    partner = interaction.other(team_key)[0]
    said = "its expected end" if interaction.expected_end else "the usual few weeks"
    return _warn(
        f"{interaction.mode.value}-overdue",
        f"{interaction.mode.value} with {partner} has run since {interaction.starts_on.isoformat()}, past {said} "
        f"({due.isoformat()}); it is a temporary mode: end it or move to x-as-a-service",
        MODES,
    )


def _warn(rule: str, message: str, source: str) -> LoadWarning:
    return LoadWarning(rule=rule, severity=Severity.WARNING, message=message, source=source)


def _names(names: Iterable[str]) -> str:
    return ", ".join(str(n) for n in names)
