"""/templates, /onboardings, /jobs, /fleet, /scorecards: the platform's golden paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from fastapi import APIRouter, Request, status

from digital_factory.accounts.service import SecretDigester
from digital_factory.api.context import CurrentActor
from digital_factory.api.paging import Paging
from digital_factory.platform import runner
from digital_factory.platform import service as platform
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import (
    FleetEntry,
    Job,
    OnboardingRecord,
    OnboardingRequest,
    ScorecardReport,
    Template,
    TemplateCreate,
    TemplateQuestion,
    TemplateTrust,
    UpgradeRecord,
    UpgradeRequest,
)
from digital_factory.store.uow import Store

router = APIRouter(tags=["platform"])


class Submitter(Protocol):
    def submit(self, name: str, job: Callable[[], object]) -> object: ...


class PlatformRuntime(Protocol):
    store: Store
    digester: SecretDigester
    platform: PlatformContext
    platform_jobs: JobBoard
    jobs: Submitter


def runtime(request: Request) -> PlatformRuntime:
    return cast(PlatformRuntime, request.app.state.runtime)


@router.get("/templates")
def list_templates(request: Request, actor: CurrentActor) -> list[Template]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.list_templates(uow)


@router.post("/templates", status_code=status.HTTP_201_CREATED)
def register_template(request: Request, actor: CurrentActor, data: TemplateCreate) -> Template:
    """Register a copier template from a git repository (platform role; `trusted` needs an admin)."""
    rt = runtime(request)
    with rt.store.unit_of_work(actor) as uow:
        return platform.register_template(uow, rt.platform, data)


@router.get("/templates/{key}")
def get_template(request: Request, actor: CurrentActor, key: str) -> Template:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.get_template(uow, key)


@router.get("/templates/{key}/questions")
def template_questions(
    request: Request, actor: CurrentActor, key: str, version: str | None = None
) -> list[TemplateQuestion]:
    rt = runtime(request)
    with rt.store.unit_of_work(actor, write=False) as uow:
        return platform.template_questions(uow, rt.platform, key, version)


@router.post("/templates/{key}/refresh")
def refresh_template(request: Request, actor: CurrentActor, key: str) -> Template:
    rt = runtime(request)
    with rt.store.unit_of_work(actor) as uow:
        return platform.refresh_template(uow, rt.platform, key)


@router.put("/templates/{key}/trust")
def set_template_trust(request: Request, actor: CurrentActor, key: str, data: TemplateTrust) -> Template:
    """Allow (or stop) a template's tasks, migrations and Jinja extensions. Admin only; audited."""
    with runtime(request).store.unit_of_work(actor) as uow:
        return platform.set_template_trust(uow, key, data.trusted)


@router.post("/onboardings", status_code=status.HTTP_202_ACCEPTED)
def start_onboarding(request: Request, actor: CurrentActor, data: OnboardingRequest) -> Job:
    """Onboard a team in one step; follow `GET /jobs/{id}`. Bad input is refused here, at once."""
    rt = runtime(request)
    job_id = runner.start_onboarding(rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=actor, data=data)
    return rt.platform_jobs.get(job_id, viewer=actor.name)


@router.get("/onboardings")
def list_onboardings(request: Request, actor: CurrentActor, page: Paging) -> list[OnboardingRecord]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.list_onboardings(uow, page)


@router.get("/onboardings/{job_id}")
def get_onboarding(request: Request, actor: CurrentActor, job_id: str) -> OnboardingRecord:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.get_onboarding(uow, job_id)


@router.get("/jobs/{job_id}")
def get_job(request: Request, actor: CurrentActor, job_id: str) -> Job:
    """A running or finished platform job of yours; a secret in its result is shown only once."""
    return runtime(request).platform_jobs.get(job_id, viewer=actor.name, reveal=True)


@router.get("/fleet")
def get_fleet(request: Request, actor: CurrentActor) -> list[FleetEntry]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.fleet(uow)


@router.post("/fleet/upgrades", status_code=status.HTTP_202_ACCEPTED)
def start_upgrades(request: Request, actor: CurrentActor, data: UpgradeRequest) -> Job:
    """`copier update` each named service (or all that are behind) on a branch; clean ones are pushed."""
    rt = runtime(request)
    job_id = runner.start_upgrades(rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=actor, data=data)
    return rt.platform_jobs.get(job_id, viewer=actor.name)


@router.get("/fleet/upgrades")
def list_upgrades(
    request: Request, actor: CurrentActor, page: Paging, service: str | None = None
) -> list[UpgradeRecord]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return platform.list_upgrades(uow, service, page)


@router.get("/scorecards")
def get_scorecards(request: Request, actor: CurrentActor, team: str | None = None) -> ScorecardReport:
    rt = runtime(request)
    with rt.store.unit_of_work(actor, write=False) as uow:
        return platform.scorecard_report(uow, rt.platform, team=team)
