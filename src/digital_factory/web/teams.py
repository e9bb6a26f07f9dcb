"""Web pages of the Teams area (/teams, /teams/{key}); the catalog's are in `catalog_pages`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import DomainError, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import InputModel, parse_input
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import (
    Complexity,
    DomainCreate,
    DurationUnit,
    InteractionCreate,
    InteractionMode,
    MemberAdd,
    SurveyAnswer,
    SurveyResults,
    TeamCreate,
    TeamType,
    TeamUpdate,
)
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.lookup import LOOKUP_LIMIT, team_options, user_options
from digital_factory.web.pages import FormViewer, PageViewer, back_with_notice, see_other
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)

TEAM_ROLES = ("product owner", "tech lead", "engineer", "designer", "tester", "site reliability engineer", "member")
MODE_LABELS = {
    InteractionMode.COLLABORATION: "Collaboration",
    InteractionMode.X_AS_A_SERVICE: "X-as-a-Service",
    InteractionMode.FACILITATING: "Facilitating",
}
TEAMS_PAGE_SIZE = 50
TEAM_SERVICES_PAGE_SIZE = 50  # the services owned the team page shows at once, like the catalog


# --- /teams ------------------------------------------------------------------------------------------------


@router.get("/teams", response_class=HTMLResponse)
def teams_page(
    request: Request,
    viewer: PageViewer,
    notice: str | None = None,
    archived: bool = False,
    offset: Offset = 0,
) -> Response:
    return _teams_page(request, viewer, notice=notice, show_archived=archived, offset=offset)


def _teams_page(
    request: Request,
    viewer: Viewer,
    *,
    status_code: int = 200,
    show_archived: bool = False,
    offset: int = 0,
    **extra: Any,
) -> Response:
    """The topology of every team, and a page of the team table (TEAMS_PAGE_SIZE teams) with its counts."""

    def load(uow: UnitOfWork) -> dict[str, Any]:
        page = teams.list_teams(uow, PageRequest(limit=TEAMS_PAGE_SIZE, offset=offset), include_archived=show_archived)
        keys = [t.key for t in page.items]
        return {
            "topology": teams.topology_view(uow),
            "page": page,
            "teams": page.items,
            "latest": teams.latest_survey_scores(uow, keys),
            "domain_counts": teams.domain_counts(uow, keys),
        }

    loaded = read(request, viewer, load)
    topology = loaded["topology"]
    graph = {
        "teams": [n.model_dump(mode="json") for n in topology.teams],
        "interactions": [
            {
                **i.model_dump(mode="json", include={"team", "with_team", "mode", "purpose"}),
                "label": MODE_LABELS[i.mode],
            }
            for i in topology.interactions
        ],
    }
    return render(
        request,
        "teams.html",
        viewer,
        status_code=status_code,
        active="teams",
        nodes={n.key: n for n in topology.teams},
        graph=graph,
        mode_labels=MODE_LABELS,
        team_types=list(TeamType),
        can_admin=can(viewer, Permission.TEAMS_WRITE),
        show_archived=show_archived,
        pager=pager_of("/teams", {"archived": "true" if show_archived else None}, loaded["page"]),
        **loaded,
        **extra,
    )


@router.post("/teams", response_class=HTMLResponse)
def create_team(
    request: Request,
    viewer: FormViewer,
    key: Annotated[str, Form()],
    name: Annotated[str, Form()],
    team_type: Annotated[str, Form()],
    mission: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse_input(TeamCreate, {"key": key, "name": name, "team_type": team_type, "mission": mission})
        write(request, viewer, lambda uow: teams.create_team(uow, data))
    except DomainError as exc:
        r = refusal(exc)
        return _teams_page(request, viewer, status_code=r.status, error=r.message, form=dict(key=key, name=name))
    return see_other(f"/teams/{key}")


@router.post("/teams/import", response_class=HTMLResponse)
async def import_team(
    request: Request,
    viewer: FormViewer,
    document: Annotated[str, Form()] = "",
    file: UploadFile | None = None,
) -> Response:
    text = document
    if file is not None and file.filename:
        raw = await file.read(teams.MAX_DOCUMENT_CHARS + 1)
        text = raw.decode("utf-8", errors="replace")

    def work() -> Response:
        try:
            if not text.strip():
                raise ValidationFailed.on("document", "paste a Team API document or choose a file")
            result = write(request, viewer, lambda uow: teams.import_team_api(uow, text))
        except DomainError as exc:
            r = refusal(exc)
            # each problem is listed below the headline, so the headline is the domain's summary
            problems = exc.problems if isinstance(exc, ValidationFailed) else []
            return _teams_page(
                request, viewer, status_code=r.status, import_error=exc.detail, problems=problems, document=text
            )
        verb = "Created" if result.created else "Updated"
        return back_with_notice(f"/teams/{result.team}", f"{verb} from the Team API document.")

    return await run_in_threadpool(work)


# --- /teams/{key} ------------------------------------------------------------------------------------------


@router.get("/teams/{key}", response_class=HTMLResponse)
def team_page(
    request: Request,
    viewer: PageViewer,
    key: str,
    notice: str | None = None,
    offset: Offset = 0,
) -> Response:
    return _team_page(request, viewer, key, notice=notice, services_offset=offset)


def _team_page(
    request: Request, viewer: Viewer, key: str, *, status_code: int = 200, services_offset: int = 0, **extra: Any
) -> Response:
    """The team page; its services owned a page (TEAM_SERVICES_PAGE_SIZE) at a time from `services_offset`."""
    can_admin = can(viewer, Permission.TEAMS_WRITE)

    def load(uow: UnitOfWork) -> dict[str, Any]:
        detail = teams.team_detail(uow, key)
        member_names = {m.username for m in detail.members}
        # the member picker's first choices (not members already); typing asks /lookup/users
        users = user_options(uow, limit=LOOKUP_LIMIT + len(member_names)) if can_admin else []
        return {
            "team": detail,
            "survey": teams.survey_results(uow, key),
            "services": catalog.list_services(
                uow, PageRequest(limit=TEAM_SERVICES_PAGE_SIZE, offset=services_offset), owner_team=key
            ),
            "ownership": catalog.ownership_warnings(uow, team=key),
            # the other-team picker's first choices (not this one); typing asks /lookup/teams
            "others": [t for t in team_options(uow, limit=LOOKUP_LIMIT + 1) if t[0] != key][:LOOKUP_LIMIT],
            "can_maintain": teams.may_maintain(uow, key),
            "candidates": [u for u in users if u[0] not in member_names][:LOOKUP_LIMIT],
            "today": uow.clock.now().date().isoformat(),
        }

    loaded = read(request, viewer, load)
    services_pager = pager_of(f"/teams/{key}", {}, loaded["services"], anchor="services")
    return render(
        request,
        "team.html",
        viewer,
        status_code=status_code,
        active="teams",
        chart=_survey_chart(loaded["survey"]),
        services_pager=services_pager,
        can_admin=can_admin,
        team_roles=TEAM_ROLES,
        complexities=list(Complexity),
        modes=MODE_LABELS,
        units=list(DurationUnit),
        **loaded,
        **extra,
    )


def _survey_chart(survey: SurveyResults) -> dict[str, list[Any]]:
    """The cognitive-load chart's series, one value a survey period."""
    return {
        "periods": [s.period for s in survey.scores],
        "index": [s.index for s in survey.scores],
        "intrinsic": [s.intrinsic for s in survey.scores],
        "extraneous": [s.extraneous for s in survey.scores],
        "germane": [s.germane for s in survey.scores],
    }


def _team_form(
    request: Request, viewer: Viewer, key: str, anchor: str, notice: str, work: Callable[[UnitOfWork], object]
) -> Response:
    """Runs one change of the team page: back to the page with a notice, or the page with the reason."""
    try:
        write(request, viewer, work)
    except DomainError as exc:
        r = refusal(exc)
        return _team_page(request, viewer, key, status_code=r.status, error=r.message, error_at=anchor)
    return back_with_notice(f"/teams/{key}", notice, anchor)


def _parsed(model: type[InputModel], data: dict[str, Any]) -> Any:
    return parse_input(model, {k: v for k, v in data.items() if v not in ("", None)})


@router.post("/teams/{key}", response_class=HTMLResponse)
def update_team(
    request: Request,
    viewer: FormViewer,
    key: str,
    name: Annotated[str, Form()],
    mission: Annotated[str, Form()] = "",
) -> Response:
    return _team_form(
        request,
        viewer,
        key,
        "about",
        "Saved.",
        lambda uow: teams.update_team(uow, key, parse_input(TeamUpdate, {"name": name, "mission": mission})),
    )


@router.post("/teams/{key}/archive", response_class=HTMLResponse)
def archive_team(request: Request, viewer: FormViewer, key: str) -> Response:
    return _team_form(
        request,
        viewer,
        key,
        "archive",
        "Archived: hidden from lists and pickers.",
        lambda uow: teams.archive_team(uow, key),
    )


@router.post("/teams/{key}/restore", response_class=HTMLResponse)
def restore_team(request: Request, viewer: FormViewer, key: str) -> Response:
    return _team_form(request, viewer, key, "archive", "Restored.", lambda uow: teams.restore_team(uow, key))


@router.post("/teams/{key}/members", response_class=HTMLResponse)
def add_member(
    request: Request,
    viewer: FormViewer,
    key: str,
    username: Annotated[str, Form()],
    team_role: Annotated[str, Form()] = "member",
) -> Response:
    return _team_form(
        request,
        viewer,
        key,
        "members",
        f"{username} joined the team.",
        lambda uow: teams.add_member(uow, key, _parsed(MemberAdd, {"username": username, "team_role": team_role})),
    )


@router.post("/teams/{key}/members/{username}/remove", response_class=HTMLResponse)
def remove_member(request: Request, viewer: FormViewer, key: str, username: str) -> Response:
    return _team_form(
        request,
        viewer,
        key,
        "members",
        f"{username} left the team.",
        lambda uow: teams.remove_member(uow, key, username),
    )


@router.post("/teams/{key}/domains", response_class=HTMLResponse)
def add_domain(
    request: Request,
    viewer: FormViewer,
    key: str,
    name: Annotated[str, Form()],
    complexity: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    data = {"name": name, "complexity": complexity, "description": description}
    return _team_form(
        request,
        viewer,
        key,
        "domains",
        f"{name} is now owned by the team.",
        lambda uow: teams.add_domain(uow, key, _parsed(DomainCreate, data)),
    )


@router.post("/teams/{key}/domains/{domain}/delete", response_class=HTMLResponse)
def delete_domain(request: Request, viewer: FormViewer, key: str, domain: str) -> Response:
    return _team_form(request, viewer, key, "domains", "Domain removed.", lambda uow: teams.delete_domain(uow, domain))


@router.post("/teams/{key}/interactions", response_class=HTMLResponse)
def add_interaction(
    request: Request,
    viewer: FormViewer,
    key: str,
    with_team: Annotated[str, Form()],
    mode: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "",
    starts_on: Annotated[str, Form()] = "",
    expected_duration: Annotated[str, Form()] = "",
    expected_duration_unit: Annotated[str, Form()] = "",
    direction: Annotated[str, Form()] = "from",
) -> Response:
    first, second = (key, with_team) if direction != "to" else (with_team, key)
    data = {
        "team": first,
        "with_team": second,
        "mode": mode,
        "purpose": purpose,
        "starts_on": starts_on,
        "expected_duration": int(expected_duration) if expected_duration.strip().isdigit() else expected_duration,
        "expected_duration_unit": expected_duration_unit if expected_duration.strip() else "",
    }
    return _team_form(
        request,
        viewer,
        key,
        "interactions",
        "Interaction recorded.",
        lambda uow: teams.create_interaction(uow, _parsed(InteractionCreate, data)),
    )


@router.post("/teams/{key}/interactions/{interaction_id}/end", response_class=HTMLResponse)
def end_interaction(request: Request, viewer: FormViewer, key: str, interaction_id: int) -> Response:
    return _team_form(
        request,
        viewer,
        key,
        "interactions",
        "Interaction ended.",
        lambda uow: teams.end_interaction(uow, interaction_id),
    )


@router.post("/teams/{key}/survey", response_class=HTMLResponse)
async def submit_survey(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    answers: dict[str, Any] = {}
    for question in teams.survey_questions():
        value = form.get(f"q-{question.id}")
        if isinstance(value, str) and value.strip().isdigit():
            answers[question.id] = int(value)

    def work() -> Response:
        missing = [q.id for q in teams.survey_questions() if q.id not in answers]
        if missing:
            return _team_page(
                request,
                viewer,
                key,
                status_code=422,
                error=f"please answer every question ({', '.join(missing)} unanswered)",
                error_at="survey",
                given=answers,
            )
        return _team_form(
            request,
            viewer,
            key,
            "survey",
            "Thank you: your answers count in this month's score.",
            lambda uow: teams.submit_survey(uow, key, SurveyAnswer(answers=answers)),
        )

    return await run_in_threadpool(work)


@router.get("/teams/{key}/team-api.{fmt}")
def export_team_api(request: Request, viewer: PageViewer, key: str, fmt: str) -> Response:
    text = read(request, viewer, lambda uow: teams.render_team_api(catalog.team_api_document(uow, key), fmt))
    return Response(
        text,
        media_type="application/yaml" if fmt == "yaml" else "application/json",
        headers={"Content-Disposition": f'attachment; filename="{key}.teamapi.{fmt}"', "Cache-Control": "no-store"},
    )
