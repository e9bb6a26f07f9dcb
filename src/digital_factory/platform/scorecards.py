"""Scorecard rules (pure): each service is checked against rules grouped in levels.

A service reaches a level when every rule of that level and the levels below passes. A rule whose
facts are not known (delivery or insights not installed yet) is `unknown`: it does not pass, and it
is shown as unknown rather than as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from digital_factory.platform.schemas import RuleResult, RuleStatus, Scorecard, TeamScores

LEVELS = ("none", "bronze", "silver", "gold")
GOOD_DORA_BANDS = frozenset({"elite", "high"})


@dataclass(frozen=True)
class ServiceFacts:
    service: str
    owner_team: str | None
    template: str | None
    version: str | None
    latest_version: str | None
    is_behind: bool | None
    pipeline_defined: bool | None
    has_pipeline: bool | None
    last_run_green: bool | None
    deploys_to_prod: bool | None
    dora_band: str | None


Check = Callable[[ServiceFacts], tuple[RuleStatus, str]]


def _known(value: bool | None, yes: str, no: str, unknown: str) -> tuple[RuleStatus, str]:
    if value is None:
        return RuleStatus.UNKNOWN, unknown
    return (RuleStatus.PASS, yes) if value else (RuleStatus.FAIL, no)


def _owner(f: ServiceFacts) -> tuple[RuleStatus, str]:
    return (RuleStatus.PASS, f"owned by {f.owner_team}") if f.owner_team else (RuleStatus.FAIL, "no owning team")


def _pipeline_defined(f: ServiceFacts) -> tuple[RuleStatus, str]:
    return _known(
        f.pipeline_defined,
        ".factory/pipeline.yml on the default branch",
        "no .factory/pipeline.yml on the default branch",
        "not known: the repository is not hosted here and has no run yet",
    )


def _has_pipeline(f: ServiceFacts) -> tuple[RuleStatus, str]:
    return _known(f.has_pipeline, "delivery runs its pipeline", "delivery has no pipeline for it", "no delivery data")


def _green(f: ServiceFacts) -> tuple[RuleStatus, str]:
    return _known(f.last_run_green, "the last run succeeded", "the last run failed", "no finished run yet")


def _latest(f: ServiceFacts) -> tuple[RuleStatus, str]:
    if f.template is None:
        return RuleStatus.FAIL, "not made from a golden-path template"
    if f.is_behind is None:
        return RuleStatus.UNKNOWN, f"{f.template} has no known versions"
    if f.is_behind:
        return RuleStatus.FAIL, f"{f.template} {f.version}, newest is {f.latest_version}"
    return RuleStatus.PASS, f"{f.template} {f.version}"


def _prod(f: ServiceFacts) -> tuple[RuleStatus, str]:
    return _known(f.deploys_to_prod, "deployed to prod", "never deployed to prod", "no delivery data")


def _dora(f: ServiceFacts) -> tuple[RuleStatus, str]:
    if f.dora_band is None:
        return RuleStatus.UNKNOWN, "no DORA data"
    status = RuleStatus.PASS if f.dora_band in GOOD_DORA_BANDS else RuleStatus.FAIL
    return status, f"DORA band {f.dora_band}"


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    level: str
    check: Check


RULES: tuple[Rule, ...] = (
    Rule("has-owner", "Has an owning team", "bronze", _owner),
    Rule("pipeline-defined", "Pipeline definition in the repository", "bronze", _pipeline_defined),
    Rule("has-pipeline", "Has a pipeline", "bronze", _has_pipeline),
    Rule("last-run-green", "Last pipeline run is green", "silver", _green),
    Rule("latest-template", "On the newest template version", "silver", _latest),
    Rule("deploys-to-prod", "Deploys to prod", "gold", _prod),
    Rule("dora-band", "DORA band high or elite", "gold", _dora),
)


def evaluate(facts: ServiceFacts) -> Scorecard:
    results = []
    for rule in RULES:
        status, detail = rule.check(facts)
        results.append(RuleResult(rule=rule.key, label=rule.label, level=rule.level, status=status, detail=detail))
    return Scorecard(service=facts.service, owner_team=facts.owner_team, level=level_of(results), results=results)


def level_of(results: Iterable[RuleResult]) -> str:
    by_level = {level: [r for r in results if r.level == level] for level in LEVELS[1:]}
    reached = LEVELS[0]
    for level in LEVELS[1:]:
        if all(r.status == RuleStatus.PASS for r in by_level[level]):
            reached = level
        else:
            break
    return reached


def summarise(team: str | None, cards: list[Scorecard]) -> TeamScores:
    levels = {level: 0 for level in LEVELS}
    for card in cards:
        levels[card.level] += 1
    results = [r for card in cards for r in card.results]
    return TeamScores(
        team=team,
        services=len(cards),
        levels=levels,
        passing_rules=sum(r.status == RuleStatus.PASS for r in results),
        known_rules=sum(r.status != RuleStatus.UNKNOWN for r in results),
    )
