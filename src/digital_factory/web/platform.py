"""Platform pages: templates, the onboarding form (generated from the template's questions) with live
progress, the template fleet with upgrades, and scorecards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import allowed
from digital_factory.core.errors import DomainError
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.platform import runner
from digital_factory.platform import service as platform
from digital_factory.platform.context import PlatformContext
from digital_factory.platform.progress import JobBoard
from digital_factory.platform.schemas import (
    JobStatus,
    OnboardingRequest,
    TemplateCreate,
    TemplateQuestion,
    UpgradeRequest,
)
from digital_factory.store.uow import Store
from digital_factory.teams.schemas import TeamType
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.rendering import TEMPLATES, render

router = APIRouter(include_in_schema=False)
ANSWER_PREFIX = "answer__"


class Submitter(Protocol):
    def submit(self, name: str, job: Callable[[], object]) -> object: ...


class PlatformWebRuntime(Protocol):
    store: Store
    platform: PlatformContext
    platform_jobs: JobBoard
    jobs: Submitter


def runtime(request: Request) -> PlatformWebRuntime:
    return cast(PlatformWebRuntime, request.app.state.runtime)


@router.get("/platform", response_class=HTMLResponse)
def overview(request: Request, viewer: PageViewer) -> Response:
    rt = runtime(request)
    with rt.store.unit_of_work(viewer.actor, write=False) as uow:
        templates = platform.list_templates(uow)
        onboardings = platform.list_onboardings(uow, PageRequest(limit=10))
        fleet = platform.fleet(uow)
        report = platform.scorecard_report(uow, rt.platform)
    return render(
        request,
        "platform.html",
        viewer,
        active="platform",
        templates=templates,
        onboardings=onboardings,
        fleet=fleet,
        behind=sum(e.behind for e in fleet),
        report=report,
        can_onboard=allowed(viewer.actor, Permission.PLATFORM_WRITE),
    )


@router.post("/platform/templates", response_class=HTMLResponse)
def register_template(
    request: Request,
    viewer: FormViewer,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()],
    source: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    rt = runtime(request)
    try:
        data = parse_input(TemplateCreate, {"key": key, "name": name, "source": source, "description": description})
        with rt.store.unit_of_work(viewer.actor) as uow:
            platform.register_template(uow, rt.platform, data)
    except DomainError as exc:
        if exc.code == "permission-denied":
            raise
        return render(request, "error.html", viewer, status_code=422, title="Template refused", detail=exc.detail)
    return see_other("/platform")


def _questions(rt: PlatformWebRuntime, viewer: PageViewer, template: str) -> list[TemplateQuestion]:
    with rt.store.unit_of_work(viewer.actor, write=False) as uow:
        return platform.template_questions(uow, rt.platform, template)


@router.get("/platform/onboard", response_class=HTMLResponse)
def onboard_form(request: Request, viewer: PageViewer, template: str = "python-service") -> Response:
    rt = runtime(request)
    with rt.store.unit_of_work(viewer.actor, write=False) as uow:
        chosen = platform.get_template(uow, template)
    return render(
        request,
        "platform_onboard.html",
        viewer,
        active="platform",
        chosen=chosen,
        questions=[q for q in _questions(rt, viewer, template) if not q.reserved],
        team_types=list(TeamType),
        values={},
        prefix=ANSWER_PREFIX,
    )


@router.post("/platform/onboard", response_class=HTMLResponse)
async def onboard(request: Request, viewer: FormViewer) -> Response:
    rt = runtime(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    template = values.get("template", "python-service")
    answers = {k.removeprefix(ANSWER_PREFIX): v for k, v in values.items() if k.startswith(ANSWER_PREFIX)}
    fields = {
        "team_key": values.get("team_key", ""),
        "team_name": values.get("team_name", ""),
        "team_type": values.get("team_type", "stream-aligned"),
        "members": [m.strip() for m in values.get("members", "").replace(",", " ").split() if m.strip()],
        "service_key": values.get("service_key", ""),
        "service_name": values.get("service_name", ""),
        "description": values.get("description", ""),
        "template": template,
        "answers": answers,
        "feature_key": values.get("feature_key") or None,
        "epic_key": values.get("epic_key") or None,
    }
    try:
        data = parse_input(OnboardingRequest, fields)
        job_id = await _start(rt, viewer, data)
    except DomainError as exc:
        if exc.code == "permission-denied":
            raise
        with rt.store.unit_of_work(viewer.actor, write=False) as uow:
            chosen = platform.get_template(uow, template)
        return render(
            request,
            "platform_onboard.html",
            viewer,
            active="platform",  # 200: the form is shown again with the reason (a 422 page is an error in browsers)
            chosen=chosen,
            questions=[q for q in _questions(rt, viewer, template) if not q.reserved],
            team_types=list(TeamType),
            values=values,
            prefix=ANSWER_PREFIX,
            error=exc.detail,
        )
    return see_other(f"/platform/jobs/{job_id}")


async def _start(rt: PlatformWebRuntime, viewer: PageViewer, data: OnboardingRequest) -> str:
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    return await run_in_threadpool(
        lambda: runner.start_onboarding(
            rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=viewer.actor, data=data
        )
    )


@router.get("/platform/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, viewer: PageViewer, job_id: str) -> Response:
    job = runtime(request).platform_jobs.get(job_id, viewer=viewer.user.username)
    return render(request, "platform_job.html", viewer, active="platform", job=job, running=JobStatus.RUNNING)


@router.get("/platform/jobs/{job_id}/progress", response_class=HTMLResponse)
def job_progress(request: Request, viewer: PageViewer, job_id: str) -> Response:
    """The steps fragment htmx polls; once the job ends it carries no poll (and shows a secret once)."""
    job = runtime(request).platform_jobs.get(job_id, viewer=viewer.user.username, reveal=True)
    response = TEMPLATES.TemplateResponse(
        request, "_platform_job_steps.html", {"job": job, "running": JobStatus.RUNNING, "viewer": viewer}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/platform/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, viewer: PageViewer) -> Response:
    rt = runtime(request)
    with rt.store.unit_of_work(viewer.actor, write=False) as uow:
        fleet = platform.fleet(uow)
        upgrades = platform.list_upgrades(uow, None, PageRequest(limit=20))
    return render(
        request,
        "platform_fleet.html",
        viewer,
        active="platform",
        fleet=fleet,
        upgrades=upgrades,
        can_upgrade=allowed(viewer.actor, Permission.PLATFORM_WRITE),
    )


@router.post("/platform/fleet/upgrade", response_class=HTMLResponse)
async def upgrade(request: Request, viewer: FormViewer) -> Response:
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    rt = runtime(request)
    form = await request.form()
    services = [str(v) for v in form.getlist("service")]
    data = parse_input(UpgradeRequest, {"services": services, "all": not services})
    job_id = await run_in_threadpool(
        lambda: runner.start_upgrades(
            rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=viewer.actor, data=data
        )
    )
    return see_other(f"/platform/jobs/{job_id}")


@router.get("/platform/scorecards", response_class=HTMLResponse)
def scorecards_page(request: Request, viewer: PageViewer, team: str | None = None) -> Response:
    rt = runtime(request)
    with rt.store.unit_of_work(viewer.actor, write=False) as uow:
        report = platform.scorecard_report(uow, rt.platform, team=team or None)
    return render(request, "platform_scorecards.html", viewer, active="platform", report=report, team=team)
