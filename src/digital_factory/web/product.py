"""Product pages: an epic's product backlog (features by WSJF), features with their stories, and each
team's backlog board (drag to reorder or to change a story's flow state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import parse_input
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    SCALE,
    BacklogOrder,
    EpicFilter,
    EpicState,
    FeatureCreate,
    FeatureUpdate,
    FlowItem,
    ScoreInput,
    StateChange,
    StoryCreate,
    StoryUpdate,
    WorkState,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.insights import loop as loop_section
from digital_factory.web.lookup import team_options
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.portfolio.forms import (
    SCORE_PARTS,
    failure,
    lines,
    optional,
    parse,
    score_fields,
    score_from_form,
    text,
    wants_json,
)
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
STORIES_PAGE_SIZE = 50
PRODUCT_STATES = (EpicState.IMPLEMENTING, EpicState.READY, EpicState.ANALYZING)
PRODUCT_GROUP_SIZE = 20
PRODUCT_TEAMS_PAGE_SIZE = 50


@router.get("/product", response_class=HTMLResponse)
def product_home(request: Request, viewer: PageViewer, offset: Offset = 0) -> Response:
    """The newest PRODUCT_GROUP_SIZE epics of each state (the rest on the portfolio's list of that state) and
    a page of the team backlogs (PRODUCT_TEAMS_PAGE_SIZE teams; `offset` pages them)."""

    def load(uow: UnitOfWork) -> dict[str, Any]:
        groups = [
            (state, portfolio.list_epics(uow, EpicFilter(state=state), PageRequest(limit=PRODUCT_GROUP_SIZE)))
            for state in PRODUCT_STATES
        ]
        return {
            "groups": groups,
            "teams": teams.list_teams(uow, PageRequest(limit=PRODUCT_TEAMS_PAGE_SIZE, offset=offset)),
        }

    loaded = read(request, viewer, load)
    return render(
        request,
        "product/home.html",
        viewer,
        active="product",
        labels=portfolio.column_labels(),
        pager=pager_of("/product", {}, loaded["teams"]),
        **loaded,
    )


# --- an epic's product backlog --------------------------------------------------------------------------


@router.get("/product/epics/{key}", response_class=HTMLResponse)
def epic_backlog(request: Request, viewer: PageViewer, key: str) -> Response:
    return _epic_backlog(request, viewer, key)


def _epic_backlog(
    request: Request, viewer: Viewer, key: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        epic = portfolio.get_epic(uow, key)
        return {
            "epic": epic,
            "features": portfolio.product_backlog(uow, epic.key),
            "teams": team_options(uow),  # the picker's first choices; typing asks /lookup/teams
        }

    return _scoring_page(
        request,
        viewer,
        "product/epic.html",
        load,
        error=error,
        status_code=status_code,
        flow_items=list(FlowItem),
        labels=portfolio.column_labels(),
    )


@router.post("/product/epics/{key}/features", response_class=HTMLResponse)
async def create_feature(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    try:
        data = parse(
            FeatureCreate,
            {
                "epic": key,
                "title": text(form, "title"),
                "description": text(form, "description"),
                "benefit_hypothesis": text(form, "benefit_hypothesis"),
                "acceptance_criteria": lines(text(form, "acceptance_criteria")),
                "feature_type": text(form, "feature_type") or "business",
                "flow_item": text(form, "flow_item") or "feature",
                "team": optional(form, "team"),
                "score": score_from_form(form),
            },
        )
        feature = await run_in_threadpool(write, request, viewer, lambda uow: portfolio.create_feature(uow, data))
    except DomainError as exc:
        r = refusal(exc)
        return await run_in_threadpool(_epic_backlog, request, viewer, key, error=r.message, status_code=r.status)
    return see_other(f"/product/features/{feature.key}")


# --- features -----------------------------------------------------------------------------------------


@router.get("/product/features/{key}", response_class=HTMLResponse)
def feature_page(request: Request, viewer: PageViewer, key: str, offset: Offset = 0) -> Response:
    return _feature(request, viewer, key, stories_offset=offset)


def _feature(
    request: Request,
    viewer: Viewer,
    key: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    stories_offset: int = 0,
) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        feature = portfolio.get_feature(uow, key)
        stories = portfolio.list_stories(uow, PageRequest(limit=STORIES_PAGE_SIZE, offset=stories_offset), feature=key)
        return {
            "feature": feature,
            "epic": portfolio.get_epic(uow, feature.epic),
            "stories": stories.items,
            "stories_pager": pager_of(f"/product/features/{key}", {}, stories, anchor="stories"),
            "history": portfolio.work_history(uow, feature.key),
            "teams": team_options(uow),  # the picker's first choices; typing asks /lookup/teams
            **loop_section.feature_loop(request, uow, feature.key),
        }

    return _scoring_page(
        request, viewer, "product/feature.html", load, error=error, status_code=status_code, states=list(WorkState)
    )


def _scoring_page(
    request: Request,
    viewer: Viewer,
    template: str,
    load: Callable[[UnitOfWork], dict[str, Any]],
    *,
    error: str | None,
    status_code: int,
    **context: Any,
) -> Response:
    """A product page with the WSJF scoring form: what `load` reads, and whatever else the page shows."""
    return render(
        request,
        template,
        viewer,
        status_code=status_code,
        active="product",
        error=error,
        scale=SCALE,
        parts=SCORE_PARTS,
        can_write=can(viewer, Permission.PRODUCT_WRITE),
        **context,
        **read(request, viewer, load),
    )


@router.post("/product/features/{key}/team", response_class=HTMLResponse)
def assign_feature(request: Request, viewer: FormViewer, key: str, team: Annotated[str, Form()] = "") -> Response:
    return _feature_action(
        request, viewer, key, lambda uow: portfolio.update_feature(uow, key, parse_input(FeatureUpdate, {"team": team}))
    )


@router.post("/product/features/{key}/state", response_class=HTMLResponse)
def feature_state(
    request: Request, viewer: FormViewer, key: str, to: Annotated[str, Form()], reason: Annotated[str, Form()] = ""
) -> Response:
    change = {"to": to, "reason": reason}
    return _feature_action(
        request, viewer, key, lambda uow: portfolio.change_feature_state(uow, key, parse(StateChange, change))
    )


@router.post("/product/features/{key}/score", response_class=HTMLResponse)
async def feature_score(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    score = score_fields(form)
    return await run_in_threadpool(
        _feature_action, request, viewer, key, lambda uow: portfolio.score_feature(uow, key, parse(ScoreInput, score))
    )


@router.post("/product/features/{key}/stories", response_class=HTMLResponse)
async def create_story(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    story = {
        "feature": key,
        "title": text(form, "title"),
        "description": text(form, "description"),
        "acceptance_criteria": lines(text(form, "acceptance_criteria")),
        "team": optional(form, "team"),
        "points": optional(form, "points"),
    }
    return await run_in_threadpool(
        _feature_action, request, viewer, key, lambda uow: portfolio.create_story(uow, parse(StoryCreate, story))
    )


@router.post("/product/features/{key}/edit", response_class=HTMLResponse)
async def edit_feature(request: Request, viewer: FormViewer, key: str) -> Response:
    """Title, description, benefit hypothesis and acceptance criteria (one per line)."""
    form = await request.form()
    fields = {
        "title": text(form, "title"),
        "description": text(form, "description"),
        "benefit_hypothesis": text(form, "benefit_hypothesis"),
        "acceptance_criteria": lines(text(form, "acceptance_criteria")),
    }
    return await run_in_threadpool(
        _feature_action,
        request,
        viewer,
        key,
        lambda uow: portfolio.update_feature(uow, key, parse(FeatureUpdate, fields)),
    )


@router.post("/product/stories/{story}/edit", response_class=HTMLResponse)
async def edit_story(request: Request, viewer: FormViewer, story: str, feature: Annotated[str, Form()]) -> Response:
    """A story's title, text, acceptance criteria and points, edited from its feature's page."""
    form = await request.form()
    fields = {
        "title": text(form, "title"),
        "description": text(form, "description"),
        "acceptance_criteria": lines(text(form, "acceptance_criteria")),
        "points": optional(form, "points"),
    }

    # an emptied points field is sent as None, which clears them
    return await run_in_threadpool(
        _feature_action,
        request,
        viewer,
        feature,
        lambda uow: portfolio.update_story(uow, story, parse(StoryUpdate, fields)),
    )


def _feature_action(request: Request, viewer: Viewer, key: str, work: Callable[[UnitOfWork], object]) -> Response:
    """A change made from the feature page (the form is read inside `work`): back to the page, or the page
    again with the refusal."""
    try:
        write(request, viewer, work)
    except DomainError as exc:
        r = refusal(exc)
        return _feature(request, viewer, key, error=r.message, status_code=r.status)
    return see_other(f"/product/features/{key.upper()}")


# --- team backlog boards ----------------------------------------------------------------------------------


@router.get("/product/teams/{team}", response_class=HTMLResponse)
def team_board(request: Request, viewer: PageViewer, team: str) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        return {"team": teams.get_team(uow, team), "backlog": portfolio.team_backlog(uow, team)}

    data = read(request, viewer, load)
    columns = {state: [s for s in data["backlog"].stories if s.state == state] for state in WorkState}
    return render(
        request,
        "product/team.html",
        viewer,
        active="product",
        columns=columns,
        can_write=can(viewer, Permission.PRODUCT_WRITE),
        **data,
    )


@router.post("/product/stories/{key}/state")
def story_state(
    request: Request, viewer: FormViewer, key: str, to: Annotated[str, Form()], reason: Annotated[str, Form()] = ""
) -> Response:
    try:
        change = parse(StateChange, {"to": to, "reason": reason})
        story = write(request, viewer, lambda uow: portfolio.change_story_state(uow, key, change))
    except DomainError as exc:
        if not wants_json(request):
            raise
        return failure(request, exc)
    if wants_json(request):
        return JSONResponse({"ok": True, "message": f"{story.key} is {story.state}"})
    return see_other(f"/product/features/{story.feature}")


@router.post("/product/teams/{team}/order")
async def reorder(request: Request, viewer: FormViewer, team: str) -> Response:
    form = await request.form()
    keys = [k for k in form.getlist("story") if isinstance(k, str)]
    try:
        order = parse(BacklogOrder, {"stories": keys})
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.reorder_backlog(uow, team, order))
    except DomainError as exc:
        return failure(request, exc)
    return JSONResponse({"ok": True, "message": "Backlog order saved."})
