"""DORA use-cases: the five figures of a scope (a service, a team's services, a value stream's services, an
epic's work, or everything) over a period, per service and in trend buckets. Computed on read from
delivery's stored facts, so a deployment or incident recorded a moment ago is in the next answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DoraDeployment, DoraFacts, DoraFailure, DoraLead
from digital_factory.insights import bands
from digital_factory.insights.dora_figures import bucket_starts, figures
from digital_factory.insights.dora_schemas import (
    DoraBand,
    DoraBucket,
    DoraFigures,
    DoraPolicy,
    DoraReport,
    DoraScope,
    DoraTrendPoint,
    ServiceDora,
)
from digital_factory.portfolio import service as portfolio
from digital_factory.store.uow import UnitOfWork

DEFAULT_PERIOD = timedelta(days=90)
MAX_BUCKETS = 400
PAGE = 200


def dora_report(
    uow: UnitOfWork,
    policy: DoraPolicy,
    *,
    service: str | None = None,
    team: str | None = None,
    value_stream: str | None = None,
    epic: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    bucket: DoraBucket = DoraBucket.WEEK,
    feature: str | None = None,
) -> DoraReport:
    """DORA of one scope (at most one of service, team, value_stream, epic, feature; none: every service) over
    [start, end) (default: the 90 days up to now), with a trend point per `bucket`."""
    require(uow.actor, Permission.READ)
    given = [(kind, key) for kind, key in _scopes(service, team, value_stream, epic, feature) if key]
    if len(given) > 1:
        raise ValidationFailed.on(given[1][0], f"give one scope, not {' and '.join(k for k, _ in given)}")
    kind, key = given[0] if given else (DoraScope.ORG, None)
    window = _window(uow, start, end)
    edges = bucket_starts(*window, bucket)
    if len(edges) - 1 > MAX_BUCKETS:
        raise ValidationFailed.on("bucket", f"{len(edges) - 1} {bucket} buckets: at most {MAX_BUCKETS}; widen it")
    keys, items = _scope(uow, kind, key)
    facts = delivery.dora_facts(
        uow, service_keys=keys, start=window[0], end=window[1], work_items=items, buckets=edges[1:-1]
    )
    return DoraReport(
        scope=kind,
        key=key,
        start=window[0],
        end=window[1],
        bucket=bucket,
        bands=policy.bands,
        count_rollbacks=policy.count_rollbacks,
        services=sorted(keys if keys is not None else facts.services.values()),
        figures=_figures(facts, facts.deployments, facts.leads, window=window, policy=policy),
        by_service=_by_service(facts, window, policy),
        trend=_trend(facts, edges, policy),
    )


def service_levels(uow: UnitOfWork, policy: DoraPolicy, *, start: datetime, end: datetime) -> dict[str, DoraBand]:
    """Each service's DORA level over the period (the modal per-metric band; services without any figure
    are absent), for scorecards."""
    require(uow.actor, Permission.READ)
    facts = delivery.dora_facts(uow, service_keys=None, start=start, end=end)
    levels: dict[str, DoraBand] = {}
    for row in _by_service(facts, (start, end), policy):
        f = row.figures
        found = [
            f.deployment_frequency.band,
            f.change_lead_time.band,
            f.change_fail_rate.band,
            f.failed_deployment_recovery_time.band,
        ]
        level = bands.modal(found)
        if level is not None:
            levels[row.service] = level
    return levels


def _scopes(
    service: str | None, team: str | None, value_stream: str | None, epic: str | None, feature: str | None
) -> list[tuple[DoraScope, str | None]]:
    return [
        (DoraScope.SERVICE, service),
        (DoraScope.TEAM, team),
        (DoraScope.VALUE_STREAM, value_stream),
        (DoraScope.EPIC, epic),
        (DoraScope.FEATURE, feature),
    ]


def _window(uow: UnitOfWork, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    finish = as_utc(end) if end else uow.clock.now()
    begin = as_utc(start) if start else finish - DEFAULT_PERIOD
    if begin >= finish:
        raise ValidationFailed.on("start", "must lie before end")
    return begin, finish


def _scope(uow: UnitOfWork, kind: DoraScope, key: str | None) -> tuple[list[str] | None, list[str] | None]:
    """(service keys or None for all, work item keys or None): unknown keys are 404s."""
    if key is None:
        return None, None
    if kind == DoraScope.SERVICE:
        catalog.service_id(uow, key)
        return [key], None
    if kind == DoraScope.EPIC:
        return None, _epic_items(uow, key)
    if kind == DoraScope.FEATURE:
        return None, _feature_items(uow, portfolio.get_feature(uow, key).key)
    owner, stream = (key, None) if kind == DoraScope.TEAM else (None, key)
    keys: list[str] = []
    while True:
        page = catalog.list_services(
            uow, PageRequest(limit=PAGE, offset=len(keys)), owner_team=owner, value_stream=stream
        )
        keys += [s.key for s in page.items]
        if not page.items or len(keys) >= page.total:
            return keys, None


def _epic_items(uow: UnitOfWork, key: str) -> list[str]:
    """The epic's own key, its features' and their stories' keys: what commit messages name (`FEAT-12`)."""
    epic = portfolio.get_epic(uow, key)
    items = [epic.key]
    for feature in portfolio.product_backlog(uow, epic.key):
        items += _feature_items(uow, feature.key)
    return items


def _feature_items(uow: UnitOfWork, key: str) -> list[str]:
    """The feature's key and its stories' keys."""
    items = [key]
    offset = 0
    while True:
        page = portfolio.list_stories(uow, PageRequest(limit=PAGE, offset=offset), feature=key)
        items += [s.key for s in page.items]
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return items


def _figures(
    facts: DoraFacts,
    deployments: Sequence[DoraDeployment],
    leads: Sequence[DoraLead],
    *,
    window: tuple[datetime, datetime],
    policy: DoraPolicy,
    failures: Sequence[DoraFailure] | None = None,
    unlinked: int | None = None,
) -> DoraFigures:
    start, end = window
    if unlinked is None:
        unlinked = sum(1 for u in facts.unlinked if start <= u.detected_at < end)
    chosen = facts.failures if failures is None else failures
    return figures(deployments, chosen, leads, unlinked=unlinked, window=window, policy=policy)


def _by_service(facts: DoraFacts, window: tuple[datetime, datetime], policy: DoraPolicy) -> list[ServiceDora]:
    deployments: dict[int, list[DoraDeployment]] = defaultdict(list)
    leads: dict[int, list[DoraLead]] = defaultdict(list)
    failures: dict[int, list[DoraFailure]] = defaultdict(list)
    unlinked: dict[int, int] = defaultdict(int)
    for d in facts.deployments:
        deployments[d.service_id].append(d)
    for lead in facts.leads:
        leads[lead.service_id].append(lead)
    for f in facts.failures:
        failures[f.service_id].append(f)
    for u in facts.unlinked:
        unlinked[u.service_id] += 1
    rows = [
        ServiceDora(
            service=name,
            figures=_figures(
                facts,
                deployments[sid],
                leads[sid],
                window=window,
                policy=policy,
                failures=failures[sid],
                unlinked=unlinked[sid],
            ),
        )
        for sid, name in facts.services.items()
    ]
    return sorted(rows, key=lambda row: row.service)


def _trend(facts: DoraFacts, edges: list[datetime], policy: DoraPolicy) -> list[DoraTrendPoint]:
    deployments: list[list[DoraDeployment]] = [[] for _ in edges[:-1]]
    leads: list[list[DoraLead]] = [[] for _ in edges[:-1]]
    for d in facts.deployments:
        deployments[d.bucket].append(d)
    for lead in facts.leads:
        leads[lead.bucket].append(lead)
    return [
        DoraTrendPoint(
            start=edges[i],
            end=edges[i + 1],
            figures=_figures(facts, deployments[i], leads[i], window=(edges[i], edges[i + 1]), policy=policy),
        )
        for i in range(len(edges) - 1)
    ]
