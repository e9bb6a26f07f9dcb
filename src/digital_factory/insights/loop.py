"""The loop of an epic or a feature on one page: the teams and services serving it (linked in the catalog,
releasing it behind a flag, or deploying changes naming it), each service's latest run and deployment per
environment, the flags releasing it with their exposure, value lead time, DORA of the deployments carrying
it, its services' incidents and the decisions taken. One bulk read per kind, however many features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Service
from digital_factory.core.schemas import copied
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import ItemDelivery, LatestDelivery
from digital_factory.insights.dora import dora_report
from digital_factory.insights.dora_schemas import DoraPolicy
from digital_factory.insights.evaluation import Thresholds
from digital_factory.insights.hypotheses import evaluate_hypothesis
from digital_factory.insights.hypothesis_schemas import HypothesisEvaluation
from digital_factory.insights.leadtime import epic_lead_time, merged_exposures
from digital_factory.insights.leadtime_schemas import EpicLeadTime
from digital_factory.insights.loop_schemas import (
    FlagExposure,
    LoopEnvironment,
    LoopFeature,
    LoopFlag,
    LoopScope,
    LoopService,
    LoopTeam,
    ReachedBy,
    WorkLoop,
)
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Decision, FeatureSummary
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import Flag
from digital_factory.store.uow import UnitOfWork

INCIDENTS = 20


def epic_loop(uow: UnitOfWork, key: str, policy: DoraPolicy, theta: Thresholds | None = None) -> WorkLoop:
    """The epic's loop; with `theta`, its hypothesis evaluated now (charts left out) when it has indicators."""
    require(uow.actor, Permission.READ)
    epic = portfolio.get_epic(uow, key)
    hypothesis = None
    if theta is not None and epic.leading_indicators:
        hypothesis = evaluate_hypothesis(uow, epic.key, theta, charts=False)
    work = _Work(LoopScope.EPIC, epic.key, epic.title, epic.key, portfolio.product_backlog(uow, epic.key))
    return _loop(uow, work, policy, hypothesis, portfolio.list_decisions(uow, epic.key))


def feature_loop(uow: UnitOfWork, key: str, policy: DoraPolicy) -> WorkLoop:
    """One feature's slice of its epic's loop (decisions are the epic's: left out)."""
    require(uow.actor, Permission.READ)
    feature = portfolio.get_feature(uow, key)
    work = _Work(LoopScope.FEATURE, feature.key, feature.title, feature.epic, [feature])
    return _loop(uow, work, policy, None, [])


@dataclass(frozen=True)
class _Work:
    scope: LoopScope
    key: str
    title: str
    epic: str
    features: Sequence[FeatureSummary]

    @property
    def feature_keys(self) -> list[str]:
        return [f.key for f in self.features]

    @property
    def linked_keys(self) -> set[str]:
        """The keys a service may be linked to in the catalog for this loop."""
        return set(self.feature_keys) | ({self.epic} if self.scope is LoopScope.EPIC else set())


@dataclass(frozen=True)
class _Reach:
    """What reached the work other than catalog links: flags, and production deliveries of its changes."""

    flags: list[Flag]
    deliveries: list[ItemDelivery]
    dora_services: list[str]

    def by_flag(self, feature: str | None = None) -> set[str]:
        return {f.service for f in self.flags if feature is None or f.feature == feature}

    def by_deployment(self, feature: str | None = None) -> set[str]:
        found = {d.service for d in self.deliveries if feature is None or d.item == feature}
        return found | (set(self.dora_services) if feature is None else set())


def _loop(
    uow: UnitOfWork,
    work: _Work,
    policy: DoraPolicy,
    hypothesis: HypothesisEvaluation | None,
    decisions: list[Decision],
) -> WorkLoop:
    keys = work.feature_keys
    epic_scope = work.scope is LoopScope.EPIC
    dora = dora_report(uow, policy, epic=work.key if epic_scope else None, feature=None if epic_scope else work.key)
    reach = _Reach(releases.flags_releasing(uow, keys), delivery.item_deliveries(uow, keys), dora.services)
    services = catalog.services_for_work(uow, work.linked_keys, also=reach.by_flag() | reach.by_deployment())
    latest = delivery.latest_delivery(uow, [s.id for s in services])
    history = portfolio.epic_histories(uow, epic=work.epic)[0]
    lead = epic_lead_time(history, merged_exposures(releases.first_exposures(uow, keys), reach.deliveries))
    features = _features(work, services, reach, lead)
    return copied(
        WorkLoop,
        work,
        hypothesis=hypothesis,
        features=features,
        teams=_teams(features, services),
        services=[_service(s, work.linked_keys, reach, latest.get(s.key)) for s in services],
        flags=[_flag(f) for f in reach.flags],
        approved_at=lead.approved_at,
        lead_time=lead if work.scope is LoopScope.EPIC else None,
        dora=dora,
        incidents=delivery.recent_incidents(uow, [s.id for s in services], limit=INCIDENTS),
        decisions=decisions,
    )


def _features(work: _Work, services: list[Service], reach: _Reach, lead: EpicLeadTime) -> list[LoopFeature]:
    times = {f.feature: f for f in lead.features}
    found = []
    for f in work.features:
        linked = {s.key for s in services if any(w.key == f.key for w in s.serves)}
        serving = linked | reach.by_flag(f.key) | reach.by_deployment(f.key)
        flags = [f"{flag.service}/{flag.key}" for flag in reach.flags if flag.feature == f.key]
        found.append(copied(LoopFeature, f, services=sorted(serving), flags=flags, lead_time=times[f.key]))
    return found


def _teams(features: list[LoopFeature], services: list[Service]) -> list[LoopTeam]:
    keys = {f.team for f in features if f.team} | {s.owner_team for s in services if s.owner_team}
    return [
        LoopTeam(
            key=team,
            features=[f.key for f in features if f.team == team],
            services=[s.key for s in services if s.owner_team == team],
        )
        for team in sorted(keys)
    ]


def _service(service: Service, linked: set[str], reach: _Reach, latest: LatestDelivery | None) -> LoopService:
    serves = [w.key for w in service.serves if w.key in linked]
    reached = [
        how
        for how, hit in (
            (ReachedBy.CATALOG, bool(serves)),
            (ReachedBy.FLAG, service.key in reach.by_flag()),
            (ReachedBy.DEPLOYMENT, service.key in reach.by_deployment()),
        )
        if hit
    ]
    last = max((e.position for e in service.environments), default=0)
    environments = [
        LoopEnvironment(
            environment=e.name,
            is_production=e.position == last,
            deployment=latest.deployments.get(e.name) if latest else None,
        )
        for e in service.environments
    ]
    return copied(
        LoopService,
        service,
        serves=serves,
        reached_by=reached,
        latest_run=latest.run if latest else None,
        environments=environments,
    )


def _flag(flag: Flag) -> LoopFlag:
    exposures = [copied(FlagExposure, e, enabled=e.config.enabled) for e in flag.environments]
    return copied(LoopFlag, flag, feature=flag.feature or "", environments=exposures)
