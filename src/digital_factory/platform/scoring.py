"""The scorecard report: each service's facts gathered from the catalog, its repository and delivery,
judged by the rules in `scorecards`, and summed per team and platform-wide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Service, ServiceProvenance
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import Status
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraBand
from digital_factory.platform import scorecards, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.onboarding import PIPELINE_FILE
from digital_factory.platform.registry import latest_versions
from digital_factory.platform.schemas import Scorecard, ScorecardPage, ScorecardReport
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import Repository
from digital_factory.store.uow import UnitOfWork

SERVICES_PER_PAGE = 200
RECENT_RUNS = 20
# the DORA level a scorecard judges: the modal per-metric band over the last quarter (docs/insights.md)
DORA_PERIOD = timedelta(days=90)
# A run's verdict: passed, or waiting at an approval with every stage before it green, counts as green;
# failed or timed out as red. Runs still going and cancelled runs have none: the one before them counts.
GREEN = frozenset({Status.PASSED, Status.WAITING})
RED = frozenset({Status.FAILED, Status.TIMED_OUT})


def scorecard_report(uow: UnitOfWork, ctx: PlatformContext, *, team: str | None = None) -> ScorecardReport:
    """Scorecards per service, summed per team and platform-wide."""
    require(uow.actor, Permission.READ)
    cards = _scorecards(uow, ctx, _services(uow, team))
    return ScorecardReport(scorecards=cards, **_summaries(cards))


def scorecard_page(
    uow: UnitOfWork, ctx: PlatformContext, page: PageRequest, *, team: str | None = None
) -> ScorecardPage:
    """A page of the scorecards (by service key), with the sums per team and platform-wide of all of them."""
    require(uow.actor, Permission.READ)
    cards = _scorecards(uow, ctx, _services(uow, team))
    return ScorecardPage(
        scorecards=cards[page.offset : page.offset + page.limit],
        total=len(cards),
        limit=page.limit,
        offset=page.offset,
        **_summaries(cards),
    )


def _summaries(cards: list[Scorecard]) -> dict[str, Any]:
    by_team: dict[str | None, list[Scorecard]] = {}
    for card in cards:
        by_team.setdefault(card.owner_team, []).append(card)
    ordered = sorted(by_team.items(), key=lambda kv: kv[0] or "~")
    return {
        "teams": [scorecards.summarise(key, group) for key, group in ordered],
        "platform": scorecards.summarise(None, cards),
    }


def _services(uow: UnitOfWork, team: str | None) -> list[Service]:
    """Every service (of one team, if given), page by page."""
    page = catalog.list_services(uow, PageRequest(limit=SERVICES_PER_PAGE), owner_team=team)
    services = list(page.items)
    for offset in range(SERVICES_PER_PAGE, page.total, SERVICES_PER_PAGE):
        services += catalog.list_services(
            uow, PageRequest(limit=SERVICES_PER_PAGE, offset=offset), owner_team=team
        ).items
    return services


@dataclass(frozen=True)
class _Known:
    """What the store knows of the services scored, read for all of them at once (a query each)."""

    provenance: dict[str, ServiceProvenance]
    latest: dict[str, str | None]
    dora: dict[str, DoraBand]
    runs: dict[str, list[Status]]  # newest first
    deployed: dict[str, set[str]]
    hosted: dict[str, Repository]


def _scorecards(uow: UnitOfWork, ctx: PlatformContext, services: list[Service]) -> list[Scorecard]:
    now = uow.clock.now()
    ids = [s.id for s in services]
    known = _Known(
        provenance=catalog.service_templates(uow),
        latest=latest_versions(uow),
        dora=insights.service_levels(uow, ctx.dora, start=now - DORA_PERIOD, end=now),
        runs=delivery.recent_run_statuses(uow, ids, per_service=RECENT_RUNS),
        deployed=delivery.deployed_environments(uow, ids),
        hosted=repos.repositories_for_services(uow, [s.key for s in services]),
    )
    return [scorecards.evaluate(_facts(ctx, service, known)) for service in services]


def _facts(ctx: PlatformContext, service: Service, known: _Known) -> scorecards.ServiceFacts:
    provenance = known.provenance.get(service.key)
    newest = known.latest.get(provenance.template) if provenance else None
    runs = known.runs.get(service.key, [])
    verdict = next((status in GREEN for status in runs if status in GREEN | RED), None)
    dora_level = known.dora.get(service.key)
    return scorecards.ServiceFacts(
        service=service.key,
        owner_team=service.owner_team,
        template=provenance.template if provenance else None,
        version=provenance.version if provenance else None,
        latest_version=newest,
        is_behind=None if not (provenance and newest) else templates.is_newer(newest, provenance.version),
        pipeline_defined=_pipeline_defined(ctx, service, known.hosted.get(service.key), ran=bool(runs)),
        has_pipeline=bool(runs),
        last_run_green=verdict,
        deploys_to_prod=_deploys_to_prod(service, known.deployed.get(service.key, set())),
        dora_band=str(dora_level) if dora_level else None,
    )


def _pipeline_defined(ctx: PlatformContext, service: Service, hosted: Repository | None, *, ran: bool) -> bool | None:
    """Whether the default branch holds a pipeline file. A hosted repository is read; a repository
    registered by URL is not fetched here, but a run of it proves the file (a run needs one); None
    when neither tells."""
    git_dir = ctx.repo_host.git_dir(hosted.key) if hosted else None
    if hosted and git_dir and git_dir.is_dir():
        branch = f"refs/heads/{hosted.default_branch}"
        return repos.show_file(git_dir, branch, PIPELINE_FILE) is not None
    if ran:
        return True
    return False if not service.repository_url and not hosted else None


def _deploys_to_prod(service: Service, deployed: set[str]) -> bool:
    """Whether the last stage of the service's promotion (its production) has a successful deployment."""
    return bool(service.environments) and service.environments[-1].name in deployed
