"""The scorecard report: each service's facts gathered from the catalog, its repository and delivery,
judged by the rules in `scorecards`, and summed per team and platform-wide."""

from __future__ import annotations

from datetime import timedelta

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Service, ServiceProvenance
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentFilter, DeploymentStatus, RunFilter, Status
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraBand
from digital_factory.platform import scorecards, templates
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.onboarding import PIPELINE_FILE
from digital_factory.platform.registry import latest_versions
from digital_factory.platform.schemas import Scorecard, ScorecardReport
from digital_factory.repos import service as repos
from digital_factory.store.uow import UnitOfWork

SERVICES_PER_PAGE = 200
LATEST = PageRequest(limit=1)
RECENT_RUNS = PageRequest(limit=20)
# the DORA level a scorecard judges: the modal per-metric band over the last quarter (docs/insights.md)
DORA_PERIOD = timedelta(days=90)
# A run's verdict: passed, or waiting at an approval with every stage before it green, counts as green;
# failed or timed out as red. Runs still going and cancelled runs have none: the one before them counts.
GREEN = frozenset({Status.PASSED, Status.WAITING})
RED = frozenset({Status.FAILED, Status.TIMED_OUT})


def scorecard_report(uow: UnitOfWork, ctx: PlatformContext, *, team: str | None = None) -> ScorecardReport:
    """Scorecards per service, summed per team and platform-wide."""
    require(uow.actor, Permission.READ)
    latest = latest_versions(uow)
    provenance = catalog.service_templates(uow)
    now = uow.clock.now()
    levels = insights.service_levels(uow, ctx.dora, start=now - DORA_PERIOD, end=now)
    cards = [
        scorecards.evaluate(
            _facts(uow, ctx, service, provenance.get(service.key), latest, dora_level=levels.get(service.key))
        )
        for service in _services(uow, team)
    ]
    by_team: dict[str | None, list[Scorecard]] = {}
    for card in cards:
        by_team.setdefault(card.owner_team, []).append(card)
    return ScorecardReport(
        scorecards=cards,
        teams=[scorecards.summarise(key, group) for key, group in sorted(by_team.items(), key=lambda kv: kv[0] or "~")],
        platform=scorecards.summarise(None, cards),
    )


def _services(uow: UnitOfWork, team: str | None) -> list[Service]:
    """Every service (of one team, if given), page by page."""
    page = catalog.list_services(uow, PageRequest(limit=SERVICES_PER_PAGE), owner_team=team)
    services = list(page.items)
    for offset in range(SERVICES_PER_PAGE, page.total, SERVICES_PER_PAGE):
        services += catalog.list_services(
            uow, PageRequest(limit=SERVICES_PER_PAGE, offset=offset), owner_team=team
        ).items
    return services


def _facts(
    uow: UnitOfWork,
    ctx: PlatformContext,
    service: Service,
    known: ServiceProvenance | None,
    latest: dict[str, str | None],
    *,
    dora_level: DoraBand | None,
) -> scorecards.ServiceFacts:
    newest = latest.get(known.template) if known else None
    runs = delivery.list_runs(uow, RunFilter(service=service.key), RECENT_RUNS).items
    verdict = next((run.status in GREEN for run in runs if run.status in GREEN | RED), None)
    return scorecards.ServiceFacts(
        service=service.key,
        owner_team=service.owner_team,
        template=known.template if known else None,
        version=known.version if known else None,
        latest_version=newest,
        is_behind=None if not (known and newest) else templates.is_newer(newest, known.version),
        pipeline_defined=_pipeline_defined(uow, ctx, service, ran=bool(runs)),
        has_pipeline=bool(runs),
        last_run_green=verdict,
        deploys_to_prod=_deploys_to_prod(uow, service.key),
        dora_band=str(dora_level) if dora_level else None,
    )


def _pipeline_defined(uow: UnitOfWork, ctx: PlatformContext, service: Service, *, ran: bool) -> bool | None:
    """Whether the default branch holds a pipeline file. A hosted repository is read; a repository
    registered by URL is not fetched here, but a run of it proves the file (a run needs one); None
    when neither tells."""
    hosted = repos.repository_for_service(uow, service.key)
    git_dir = ctx.repo_host.git_dir(hosted.key) if hosted else None
    if hosted and git_dir and git_dir.is_dir():
        branch = f"refs/heads/{hosted.default_branch}"
        return repos.show_file(git_dir, branch, PIPELINE_FILE) is not None
    if ran:
        return True
    return False if not service.repository_url and not hosted else None


def _deploys_to_prod(uow: UnitOfWork, service_key: str) -> bool:
    """Whether the last stage of the service's promotion (its production) has a successful deployment."""
    environments = catalog.list_environments(uow, service_key)
    if not environments:
        return False
    production = DeploymentFilter(
        service=service_key, environment=environments[-1].name, status=DeploymentStatus.SUCCEEDED
    )
    return bool(delivery.list_deployments(uow, production, LATEST).total)
