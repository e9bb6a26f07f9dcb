"""/templates, /onboardings, /jobs, /fleet, /scorecards: the platform's golden paths."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, status

from digital_factory.api.context import CurrentActor, Reading, Writing, runtime
from digital_factory.api.paging import Paging
from digital_factory.core.actor import Actor
from digital_factory.platform import service as platform
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

router = APIRouter(tags=["platform"])


@router.get("/templates")
def list_templates(uow: Reading) -> list[Template]:
    return platform.list_templates(uow)


@router.post("/templates", status_code=status.HTTP_201_CREATED)
def register_template(request: Request, uow: Writing, data: TemplateCreate) -> Template:
    """Register a copier template from a git repository (platform role; `trusted` needs an admin)."""
    return platform.register_template(uow, runtime(request).platform, data)


@router.get("/templates/{key}")
def get_template(uow: Reading, key: str) -> Template:
    return platform.get_template(uow, key)


@router.get("/templates/{key}/questions")
def template_questions(request: Request, uow: Reading, key: str, version: str | None = None) -> list[TemplateQuestion]:
    return platform.template_questions(uow, runtime(request).platform, key, version)


@router.post("/templates/{key}/refresh")
def refresh_template(request: Request, uow: Writing, key: str) -> Template:
    return platform.refresh_template(uow, runtime(request).platform, key)


@router.put("/templates/{key}/trust")
def set_template_trust(uow: Writing, key: str, data: TemplateTrust) -> Template:
    """Allow (or stop) a template's tasks, migrations and Jinja extensions. Admin only; audited."""
    return platform.set_template_trust(uow, key, data.trusted)


@router.post("/onboardings", status_code=status.HTTP_202_ACCEPTED)
def start_onboarding(request: Request, actor: CurrentActor, data: OnboardingRequest) -> Job:
    """Onboard a team in one step; follow `GET /jobs/{id}`. Bad input is refused here, at once."""
    return _started(request, actor, platform.start_onboarding, data)


@router.get("/onboardings")
def list_onboardings(uow: Reading, page: Paging) -> list[OnboardingRecord]:
    return platform.list_onboardings(uow, page)


@router.get("/onboardings/{job_id}")
def get_onboarding(uow: Reading, job_id: str) -> OnboardingRecord:
    return platform.get_onboarding(uow, job_id)


@router.get("/jobs/{job_id}")
def get_job(request: Request, actor: CurrentActor, job_id: str) -> Job:
    """A running or finished platform job of yours; a secret in its result is shown only once."""
    return runtime(request).platform_jobs.get(job_id, viewer=actor.name, reveal=True)


@router.get("/fleet")
def get_fleet(uow: Reading) -> list[FleetEntry]:
    return platform.fleet(uow)


@router.post("/fleet/upgrades", status_code=status.HTTP_202_ACCEPTED)
def start_upgrades(request: Request, actor: CurrentActor, data: UpgradeRequest) -> Job:
    """`copier update` each named service (or all that are behind) on a branch; clean ones are pushed."""
    return _started(request, actor, platform.start_upgrades, data)


@router.get("/fleet/upgrades")
def list_upgrades(uow: Reading, page: Paging, service: str | None = None) -> list[UpgradeRecord]:
    return platform.list_upgrades(uow, service, page)


@router.get("/scorecards")
def get_scorecards(request: Request, uow: Reading, team: str | None = None) -> ScorecardReport:
    return platform.scorecard_report(uow, runtime(request).platform, team=team)


def _started(request: Request, actor: Actor, start: Callable[..., str], data: object) -> Job:
    """Start a platform job in the background and answer with its first state."""
    rt = runtime(request)
    job_id = start(rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=actor, data=data)
    return rt.platform_jobs.get(job_id, viewer=actor.name)
