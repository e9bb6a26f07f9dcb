"""/themes, /epics, /portfolio (board, backlog, scoring, kanban settings), /features, /stories, /backlogs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from digital_factory.api.context import CurrentActor, Reading, Writing, in_write_unit, runtime
from digital_factory.api.grouped import grouped_writes
from digital_factory.api.kept import kept_answer, kept_path
from digital_factory.api.paging import Paging
from digital_factory.api.problems import problem
from digital_factory.core.actor import Actor
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import Page
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import WorkLoop
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    Backlog,
    BacklogOrder,
    Board,
    Decision,
    DecisionCreate,
    DecisionResult,
    Epic,
    EpicCreate,
    EpicFilter,
    EpicState,
    EpicSummary,
    EpicUpdate,
    Feature,
    FeatureCreate,
    FeatureSummary,
    FeatureUpdate,
    ImportFormat,
    ImportReport,
    KanbanConfig,
    KanbanConfigUpdate,
    MoveRequest,
    MoveResult,
    Rescore,
    ScoreEntry,
    ScoreInput,
    StateChange,
    Story,
    StoryCreate,
    StoryUpdate,
    TeamBacklog,
    Theme,
    ThemeCreate,
    ThemeUpdate,
    Transition,
    WorkState,
    WorkTransition,
)
from digital_factory.store.uow import UnitOfWork

router = APIRouter()
T = TypeVar("T")
MOVE_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The move is refused: `rule` names the gate or rule (e.g. `ready-needs-business-case`, "
        "`wip-limit`, `transition-not-allowed`); `refusals` lists every one; `can_override` says whether the "
        "caller may pass a full column with `wip_override_reason`.",
        "content": {"application/problem+json": {}},
    }
}


def moving(request: Request, actor: Actor, work: Callable[[UnitOfWork], T]) -> T | JSONResponse:
    """Run a move in its own unit of work. A refused move must roll back (an implied decision may already be
    recorded) and then be answered with its refusals; a Writing dependency would commit instead."""
    try:
        return in_write_unit(request, actor, work)
    except portfolio.MoveRefused as exc:
        return problem(
            409,
            exc.detail,
            code=exc.code,
            title="Move refused",
            instance=request.url.path,
            rule=exc.rule,
            refusals=[{"rule": r.rule, "reason": r.reason} for r in exc.refusals],
            can_override=exc.can_override,
        )


# --- strategic themes ----------------------------------------------------------------------------


@router.get("/themes", tags=["themes"])
def list_themes(uow: Reading, include_archived: bool = False) -> list[Theme]:
    return portfolio.list_themes(uow, include_archived=include_archived)


@router.post("/themes", status_code=status.HTTP_201_CREATED, tags=["themes"])
def create_theme(uow: Writing, data: ThemeCreate) -> Theme:
    return portfolio.create_theme(uow, data)


@router.get("/themes/{key}", tags=["themes"])
def get_theme(uow: Reading, key: str) -> Theme:
    return portfolio.get_theme(uow, key)


@router.patch("/themes/{key}", tags=["themes"])
def update_theme(uow: Writing, key: str, data: ThemeUpdate) -> Theme:
    return portfolio.update_theme(uow, key, data)


# --- epics ---------------------------------------------------------------------------------------


EPIC_PAGE = TypeAdapter(Page[EpicSummary])


@router.get(kept_path("/epics", portfolio.TOPIC), tags=["epics"], response_model=Page[EpicSummary])
async def list_epics(
    request: Request,
    actor: CurrentActor,
    page: Paging,
    state: EpicState | None = None,
    theme: str | None = None,
    owner: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    filters = EpicFilter(state=state, theme=theme, owner=owner, q=q)
    return await kept_answer(request, actor, partial(portfolio.list_epics, filters=filters, page=page), EPIC_PAGE)


@router.post("/epics", status_code=status.HTTP_201_CREATED, tags=["epics"])
async def create_epic(request: Request, actor: CurrentActor, data: EpicCreate) -> Epic:
    # epics sent at once are written together (one transaction, one commit); each answered once stored
    return await grouped_writes(request, portfolio.create_epics).write(request, actor, data)


IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file: CSV (`text/csv`) or JSON (`application/json`); see docs/portfolio.md.",
        "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("/epics/import", tags=["epics"], openapi_extra=IMPORT_BODY)
async def import_epics(
    request: Request,
    actor: CurrentActor,
    format: ImportFormat | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import epics and features. Nothing is stored when any row is invalid, unless `skip_invalid`;
    `dry_run` only reports. The format follows the Content-Type unless `format` is given."""
    fmt = format or (ImportFormat.CSV if "csv" in request.headers.get("content-type", "") else ImportFormat.JSON)
    raw = await request.body()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed.on("body", "the file is not UTF-8 text") from None
    # async to read the whole file first; the import then runs in a worker thread, in a unit opened only now
    return await run_in_threadpool(
        in_write_unit,
        request,
        actor,
        lambda uow: portfolio.import_items(uow, content, fmt, dry_run=dry_run, skip_invalid=skip_invalid),
    )


@router.get("/epics/{key}", tags=["epics"])
def get_epic(uow: Reading, key: str) -> Epic:
    return portfolio.get_epic(uow, key)


@router.get("/epics/{key}/loop", tags=["epics"])
def epic_loop(request: Request, uow: Reading, key: str) -> WorkLoop:
    """The epic's loop: its hypothesis evaluated now, its features, the teams and services serving it (linked
    in the catalog, releasing it behind a flag or deploying changes naming it), each service's latest run and
    deployment per environment, the flags with their exposure per environment, value lead time, DORA of the
    deployments carrying its work (last 90 days), its services' newest incidents and the decisions taken."""
    running = runtime(request)
    return insights.epic_loop(uow, key, running.dora, running.hypotheses)


@router.patch("/epics/{key}", tags=["epics"])
def update_epic(uow: Writing, key: str, data: EpicUpdate) -> Epic:
    return portfolio.update_epic(uow, key, data)


@router.post(
    "/epics/{key}/moves",
    status_code=status.HTTP_201_CREATED,
    tags=["epics"],
    responses=MOVE_REFUSED,
    response_model=MoveResult,
)
def move_epic(request: Request, actor: CurrentActor, key: str, data: MoveRequest) -> MoveResult | JSONResponse:
    """Move the epic on the portfolio kanban (gates, WIP limits; every move is in the history)."""
    return moving(request, actor, lambda uow: portfolio.move_epic(uow, key, data))


@router.get("/epics/{key}/transitions", tags=["epics"])
def list_transitions(uow: Reading, key: str) -> list[Transition]:
    return portfolio.list_transitions(uow, key)


@router.post(
    "/epics/{key}/decisions",
    status_code=status.HTTP_201_CREATED,
    tags=["epics"],
    responses=MOVE_REFUSED,
    response_model=DecisionResult,
)
def decide(request: Request, actor: CurrentActor, key: str, data: DecisionCreate) -> DecisionResult | JSONResponse:
    """Record a board decision (go, no-go, persevere, pivot, stop) and make its move."""
    return moving(request, actor, lambda uow: portfolio.decide(uow, key, data))


@router.get("/epics/{key}/decisions", tags=["epics"])
def list_decisions(uow: Reading, key: str) -> list[Decision]:
    return portfolio.list_decisions(uow, key)


@router.post("/epics/{key}/scores", status_code=status.HTTP_201_CREATED, tags=["epics"])
def score_epic(uow: Writing, key: str, data: ScoreInput) -> EpicSummary:
    return portfolio.score_epic(uow, key, data)


@router.get("/epics/{key}/scores", tags=["epics"])
def score_history(uow: Reading, key: str) -> list[ScoreEntry]:
    return portfolio.score_history(uow, key)


@router.get("/epics/{key}/features", tags=["epics"])
def product_backlog(uow: Reading, key: str) -> list[FeatureSummary]:
    """The epic's product backlog: its features ranked by WSJF."""
    return portfolio.product_backlog(uow, key)


# --- the portfolio as a whole ----------------------------------------------------------------------


@router.get("/portfolio/board", tags=["portfolio"])
def board(uow: Reading, cards: Annotated[int, Query(ge=1, le=500)] = portfolio.BOARD_CARDS_PER_COLUMN) -> Board:
    return portfolio.board(uow, cards_per_column=cards)


@router.get("/portfolio/backlog", tags=["portfolio"])
def backlog(uow: Reading) -> Backlog:
    """Epics in Reviewing, Analyzing and Ready ranked by WSJF."""
    return portfolio.backlog(uow)


@router.post("/portfolio/scores", tags=["portfolio"])
def rescore(uow: Writing, data: Rescore) -> list[EpicSummary]:
    """Re-score many epics at once; all or nothing. Returns the epics whose score changed."""
    return portfolio.rescore_epics(uow, data)


@router.get("/portfolio/kanban", tags=["portfolio"])
def kanban_config(uow: Reading) -> KanbanConfig:
    return portfolio.get_kanban_config(uow)


@router.patch("/portfolio/kanban", tags=["portfolio"])
def update_kanban_config(uow: Writing, data: KanbanConfigUpdate) -> KanbanConfig:
    """WIP limits per state and which gates are on (admin and board)."""
    return portfolio.update_kanban_config(uow, data)


# --- features --------------------------------------------------------------------------------------


@router.get("/features", tags=["features"])
def list_features(
    uow: Reading,
    page: Paging,
    epic: str | None = None,
    team: str | None = None,
    state: WorkState | None = None,
) -> Page[FeatureSummary]:
    return portfolio.list_features(uow, page, epic=epic, team=team, state=state)


@router.post("/features", status_code=status.HTTP_201_CREATED, tags=["features"])
def create_feature(uow: Writing, data: FeatureCreate) -> Feature:
    return portfolio.create_feature(uow, data)


@router.get("/features/{key}", tags=["features"])
def get_feature(uow: Reading, key: str) -> Feature:
    return portfolio.get_feature(uow, key)


@router.get("/features/{key}/loop", tags=["features"])
def feature_loop(request: Request, uow: Reading, key: str) -> WorkLoop:
    """The feature's slice of its epic's loop: the same as `/epics/{key}/loop` for this feature alone."""
    return insights.feature_loop(uow, key, runtime(request).dora)


@router.patch("/features/{key}", tags=["features"])
def update_feature(uow: Writing, key: str, data: FeatureUpdate) -> Feature:
    return portfolio.update_feature(uow, key, data)


@router.post("/features/{key}/state", tags=["features"])
def change_feature_state(uow: Writing, key: str, data: StateChange) -> Feature:
    return portfolio.change_feature_state(uow, key, data)


@router.post("/features/{key}/scores", status_code=status.HTTP_201_CREATED, tags=["features"])
def score_feature(uow: Writing, key: str, data: ScoreInput) -> Feature:
    return portfolio.score_feature(uow, key, data)


@router.get("/features/{key}/history", tags=["features"])
def feature_history(uow: Reading, key: str) -> list[WorkTransition]:
    portfolio.get_feature(uow, key)
    return portfolio.work_history(uow, key)


# --- stories and team backlogs ---------------------------------------------------------------------


@router.get("/stories", tags=["stories"])
def list_stories(
    uow: Reading,
    page: Paging,
    feature: str | None = None,
    team: str | None = None,
    state: WorkState | None = None,
) -> Page[Story]:
    return portfolio.list_stories(uow, page, feature=feature, team=team, state=state)


@router.post("/stories", status_code=status.HTTP_201_CREATED, tags=["stories"])
def create_story(uow: Writing, data: StoryCreate) -> Story:
    return portfolio.create_story(uow, data)


@router.get("/stories/{key}", tags=["stories"])
def get_story(uow: Reading, key: str) -> Story:
    return portfolio.get_story(uow, key)


@router.patch("/stories/{key}", tags=["stories"])
def update_story(uow: Writing, key: str, data: StoryUpdate) -> Story:
    return portfolio.update_story(uow, key, data)


@router.post("/stories/{key}/state", tags=["stories"])
def change_story_state(uow: Writing, key: str, data: StateChange) -> Story:
    return portfolio.change_story_state(uow, key, data)


@router.get("/stories/{key}/history", tags=["stories"])
def story_history(uow: Reading, key: str) -> list[WorkTransition]:
    portfolio.get_story(uow, key)
    return portfolio.work_history(uow, key)


@router.get("/backlogs/{team}", tags=["stories"])
def team_backlog(uow: Reading, team: str) -> TeamBacklog:
    """A team's stories in backlog order (the most recent done ones last)."""
    return portfolio.team_backlog(uow, team)


@router.put("/backlogs/{team}", tags=["stories"])
def reorder_backlog(uow: Writing, team: str, data: BacklogOrder) -> TeamBacklog:
    """Order the named stories; they keep the positions they held between them."""
    return portfolio.reorder_backlog(uow, team, data)
