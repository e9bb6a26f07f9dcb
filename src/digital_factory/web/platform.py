"""Platform pages: templates, the onboarding form (generated from the template's questions) with live
progress, the template fleet with upgrades, and scorecards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import DomainError
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import (
    FleetFilter,
    FleetPage,
    Job,
    JobStatus,
    OnboardingRequest,
    OnboardingResult,
    TemplateCreate,
    UpgradeRequest,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams.schemas import Complexity, TeamType
from digital_factory.web.context import Viewer, can, read, refusal, runtime, write
from digital_factory.web.lookup import team_options
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset, pager
from digital_factory.web.rendering import TEMPLATES, render

router = APIRouter(include_in_schema=False)
ANSWER_PREFIX = "answer__"


@router.get("/platform", response_class=HTMLResponse)
def overview(request: Request, viewer: PageViewer) -> Response:
    ctx = runtime(request).platform

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        return {
            "templates": platform.list_templates(uow),
            "onboardings": platform.list_onboardings(uow, PageRequest(limit=10)),
            # the count of services behind, not the fleet's rows
            "behind": platform.fleet_page(uow, FleetFilter(), PageRequest(limit=1)).behind,
            "report": platform.scorecard_report(uow, ctx),
        }

    page = read(request, viewer, gather)
    can_onboard = can(viewer, Permission.PLATFORM_WRITE)
    return render(request, "platform.html", viewer, active="platform", can_onboard=can_onboard, **page)


@router.post("/platform/templates", response_class=HTMLResponse)
def register_template(
    request: Request,
    viewer: FormViewer,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()],
    source: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    ctx = runtime(request).platform
    try:
        data = parse_input(TemplateCreate, {"key": key, "name": name, "source": source, "description": description})
        write(request, viewer, lambda uow: platform.register_template(uow, ctx, data))
    except DomainError as exc:
        r = refusal(exc)
        return render(request, "error.html", viewer, status_code=r.status, title="Template refused", detail=r.message)
    return see_other("/platform")


def _onboard_page(
    request: Request,
    viewer: Viewer,
    template: str,
    values: dict[str, str],
    *,
    error: str | None = None,
) -> Response:
    """The onboarding form for a template, with the values given so far (and why it was refused)."""
    ctx = runtime(request).platform

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        asked = platform.template_questions(uow, ctx, template)
        return {
            "chosen": platform.get_template(uow, template),
            "questions": [q for q in asked if not q.reserved],
            "streams": catalog.list_value_streams(uow),
            "platform_teams": team_options(uow, team_type=TeamType.PLATFORM),  # typing asks /lookup/teams
        }

    return render(
        request,
        "platform_onboard.html",
        viewer,
        active="platform",
        team_types=list(TeamType),
        complexities=list(Complexity),
        values=values,
        prefix=ANSWER_PREFIX,
        error=error,
        **read(request, viewer, gather),
    )


@router.get("/platform/onboard", response_class=HTMLResponse)
def onboard_form(request: Request, viewer: PageViewer, template: str = "python-service") -> Response:
    return _onboard_page(request, viewer, template, {})


@router.post("/platform/onboard", response_class=HTMLResponse)
async def onboard(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    template = values.get("template", "python-service")
    try:
        data = parse_input(OnboardingRequest, _onboarding_fields(values, template))
        job_id = await run_in_threadpool(_started, request, viewer, platform.start_onboarding, data)
    except DomainError as exc:
        # the form again, with what was typed and the reason; 200, as a 4xx answer is a failed load in browsers
        return await run_in_threadpool(_onboard_page, request, viewer, template, values, error=refusal(exc).message)
    return see_other(f"/platform/jobs/{job_id}")


def _onboarding_fields(values: dict[str, str], template: str) -> dict[str, Any]:
    """The onboarding request as the form spells it (answers to the template's questions are prefixed)."""
    return {
        "team_key": values.get("team_key", ""),
        "team_name": values.get("team_name", ""),
        "team_type": values.get("team_type", "stream-aligned"),
        "members": [m.strip() for m in values.get("members", "").replace(",", " ").split() if m.strip()],
        "service_key": values.get("service_key", ""),
        "service_name": values.get("service_name", ""),
        "description": values.get("description", ""),
        "template": template,
        "answers": {k.removeprefix(ANSWER_PREFIX): v for k, v in values.items() if k.startswith(ANSWER_PREFIX)},
        "feature_key": values.get("feature_key") or None,
        "epic_key": values.get("epic_key") or None,
        "mission": values.get("mission", ""),
        "domain": values.get("domain") or None,
        "domain_complexity": values.get("domain_complexity") or "complicated",
        "value_stream": values.get("value_stream") or None,
        "platform_team": values.get("platform_team") or None,
    }


def _started(request: Request, viewer: Viewer, start: Callable[..., str], data: object) -> str:
    """Start a platform job in the background (its checks run now); the job's id."""
    rt = runtime(request)
    return start(rt.store, rt.platform, rt.platform_jobs, rt.jobs.submit, actor=viewer.actor, data=data)


@router.get("/platform/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, viewer: PageViewer, job_id: str) -> Response:
    job = runtime(request).platform_jobs.get(job_id, viewer=viewer.user.username)
    made = _made(request, viewer, job)
    return render(
        request, "platform_job.html", viewer, active="platform", job=job, running=JobStatus.RUNNING, made=made
    )


def _made(request: Request, viewer: Viewer, job: Job) -> list[tuple[str, str]]:
    """What a finished onboarding made, as links; the first pipeline run by its id once it has one."""
    if job.kind != "onboarding" or job.status != JobStatus.SUCCEEDED or not job.result:
        return []
    result = OnboardingResult.model_validate(job.result)

    def first_run(uow: UnitOfWork) -> int | None:
        runs = delivery.list_runs(uow, RunFilter(service=result.service), PageRequest(limit=50)).items
        return min((r.id for r in runs), default=None)

    return result.links(read(request, viewer, first_run))


@router.get("/platform/jobs/{job_id}/progress", response_class=HTMLResponse)
def job_progress(request: Request, viewer: PageViewer, job_id: str) -> Response:
    """The steps fragment htmx polls; once the job ends it carries no poll (and shows a secret once)."""
    job = runtime(request).platform_jobs.get(job_id, viewer=viewer.user.username, reveal=True)
    context = {"job": job, "running": JobStatus.RUNNING, "viewer": viewer, "made": _made(request, viewer, job)}
    response = TEMPLATES.TemplateResponse(request, "_platform_job_steps.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


FLEET_PAGE_SIZE = 50


@router.get("/platform/fleet", response_class=HTMLResponse)
def fleet_page(
    request: Request,
    viewer: PageViewer,
    template: Annotated[str, Query(max_length=64)] = "",
    behind: Annotated[str, Query(max_length=8)] = "",
    offset: Offset = 0,
) -> Response:
    """The fleet a page at a time (FLEET_PAGE_SIZE services), narrowed by template and to those behind."""
    filters = FleetFilter(template=template or None, behind=bool(behind))

    def gather(uow: UnitOfWork) -> dict[str, Any]:
        return {
            "fleet": platform.fleet_page(uow, filters, PageRequest(limit=FLEET_PAGE_SIZE, offset=offset)),
            "upgrades": platform.list_upgrades(uow, None, PageRequest(limit=20)),
        }

    page = read(request, viewer, gather)
    fleet: FleetPage = page["fleet"]
    kept = {"template": filters.template, "behind": "1" if filters.behind else None}
    return render(
        request,
        "platform_fleet.html",
        viewer,
        active="platform",
        can_upgrade=can(viewer, Permission.PLATFORM_WRITE),
        filters=filters,
        pager=pager(
            "/platform/fleet", kept, offset=offset, limit=fleet.limit, shown=len(fleet.entries), total=fleet.total
        ),
        **page,
    )


@router.post("/platform/fleet/upgrade", response_class=HTMLResponse)
async def upgrade(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    services = [str(v) for v in form.getlist("service")]
    data = parse_input(UpgradeRequest, {"services": services, "all": not services})
    job_id = await run_in_threadpool(_started, request, viewer, platform.start_upgrades, data)
    return see_other(f"/platform/jobs/{job_id}")


SCORECARDS_PAGE_SIZE = 50


@router.get("/platform/scorecards", response_class=HTMLResponse)
def scorecards_page(
    request: Request,
    viewer: PageViewer,
    team: Annotated[str, Query(max_length=64)] = "",
    offset: Offset = 0,
) -> Response:
    """The sums per team, and the services' scorecards a page at a time (SCORECARDS_PAGE_SIZE)."""
    ctx = runtime(request).platform
    chosen = PageRequest(limit=SCORECARDS_PAGE_SIZE, offset=offset)
    report = read(request, viewer, lambda uow: platform.scorecard_page(uow, ctx, chosen, team=team or None))
    return render(
        request,
        "platform_scorecards.html",
        viewer,
        active="platform",
        report=report,
        team=team or None,
        pager=pager(
            "/platform/scorecards",
            {"team": team or None},
            offset=offset,
            limit=report.limit,
            shown=len(report.scorecards),
            total=report.total,
        ),
    )
