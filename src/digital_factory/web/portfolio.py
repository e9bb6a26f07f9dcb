"""Portfolio pages: the kanban board (drag and drop), the WSJF backlog with its scoring table, epics,
strategic themes, the kanban's settings and imports."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.core.schemas import InputModel, parse_input
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    SCALE,
    DecisionCreate,
    Direction,
    EpicCreate,
    EpicFilter,
    EpicState,
    EpicUpdate,
    Gate,
    ImportFormat,
    KanbanConfigUpdate,
    MoveRequest,
    Recommendation,
    Rescore,
    ReturnType,
    ScoreInput,
    ThemeCreate,
    ThemeUpdate,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, can, read, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
M = TypeVar("M", bound=InputModel)
SCORE_PARTS = ("user_business_value", "time_criticality", "risk_reduction", "job_size")
HYPOTHESIS_PARTS = (
    ("for_customers", "For"),
    ("who", "who"),
    ("the_solution", "the"),
    ("is_a", "is a"),
    ("that", "that"),
    ("unlike", "unlike"),
    ("our_solution", "our solution"),
)
INDICATOR_FIELDS = ("name", "metric_query", "source", "baseline", "target", "direction", "deadline", "weight")
NEW_INDICATOR_ROWS = 2


# --- shared helpers (the product pages use them too) -------------------------------------------------


def lines(text: str | None) -> list[str]:
    """A textarea as a list: one item per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def score_from_form(form: FormData, prefix: str = "") -> dict[str, str] | None:
    """The four WSJF selects; None when all are empty."""
    values = {part: text(form, prefix + part) for part in SCORE_PARTS}
    return {part: value for part, value in values.items() if value} or None


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def failure(exc: DomainError, **extra: Any) -> JSONResponse:
    """A refusal for the boards' scripts. An expected outcome of dragging a card, so it answers 200 with
    `ok: false` (the browser would log a 4xx as an error); the REST API answers such refusals with 409."""
    return JSONResponse(
        {"ok": False, "message": exc.detail, "rule": getattr(exc, "rule", None), "code": exc.code, **extra}
    )


def parse(model: type[M], data: dict[str, Any]) -> M:
    return parse_input(model, data)


# --- the board ---------------------------------------------------------------------------------------


@router.get("/portfolio", response_class=HTMLResponse)
def board_page(request: Request, viewer: PageViewer) -> Response:
    board = read(request, viewer, portfolio.board)
    return render(
        request,
        "portfolio/board.html",
        viewer,
        active="portfolio",
        tab="board",
        board=board,
        can_write=can(viewer, Permission.PORTFOLIO_WRITE),
        can_decide=can(viewer, Permission.PORTFOLIO_DECIDE),
    )


@router.post("/portfolio/epics/{key}/move")
def move(
    request: Request,
    viewer: FormViewer,
    key: str,
    to: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    done_reason: Annotated[str, Form()] = "",
    wip_override_reason: Annotated[str | None, Form()] = None,
) -> Response:
    """The board's drag and drop (JSON) and the epic page's move form (HTML) both move through here."""
    data = {"to": to, "reason": reason, "done_reason": done_reason or None, "wip_override_reason": wip_override_reason}
    try:
        request_ = parse(MoveRequest, data)
        result = write(request, viewer, lambda uow: portfolio.move_epic(uow, key, request_))
    except DomainError as exc:
        if not wants_json(request):
            return epic_page(request, viewer, key, error=exc.detail, status_code=_status(exc))
        return failure(exc, **_refusal_options(request, viewer, key, to, exc))
    if not wants_json(request):
        return see_other(f"/portfolio/epics/{result.epic.key}")
    board = read(request, viewer, lambda uow: portfolio.board(uow, cards_per_column=1))
    return JSONResponse(
        {
            "ok": True,
            "message": f"{result.epic.key} moved to {portfolio.column_labels()[result.transition.to_column]}",
            "columns": {c.id: {"count": c.count, "state_count": c.state_count, "full": c.full} for c in board.columns},
        }
    )


def _status(exc: DomainError) -> int:
    return {"conflict": 409, "permission-denied": 403, "not-found": 404}.get(exc.code, 422)


def _refusal_options(request: Request, viewer: Viewer, key: str, to: str, exc: DomainError) -> dict[str, Any]:
    """What the board can offer after a refusal: the reasons that fit ending the epic, an override."""
    options: dict[str, Any] = {"can_override": bool(getattr(exc, "can_override", False))}
    if to == "done":
        try:
            epic = read(request, viewer, lambda uow: portfolio.get_epic(uow, key))
        except DomainError:
            return options
        reasons = portfolio.done_reasons_for(epic.column)
        if not can(viewer, Permission.PORTFOLIO_DECIDE):
            reasons = [r for r in reasons if r == "completed"]
        options["done_reasons"] = [str(r) for r in reasons]
    return options


# --- epics -------------------------------------------------------------------------------------------


@router.get("/portfolio/epics", response_class=HTMLResponse)
def epics_page(
    request: Request,
    viewer: PageViewer,
    state: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    filters = parse(EpicFilter, {"state": state or None, "q": q or None, "theme": theme or None})
    page = read(request, viewer, lambda uow: portfolio.list_epics(uow, filters, PageRequest(limit=50, offset=offset)))
    return render(
        request,
        "portfolio/epics.html",
        viewer,
        active="portfolio",
        tab="epics",
        page=page,
        state=state,
        q=q,
        theme=theme,
        states=list(EpicState),
        labels=portfolio.column_labels(),
    )


@router.get("/portfolio/epics/new", response_class=HTMLResponse)
def new_epic_page(request: Request, viewer: PageViewer) -> Response:
    return _epic_form(request, viewer, None, {})


@router.post("/portfolio/epics/new", response_class=HTMLResponse)
async def create_epic(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    try:
        data = parse(EpicCreate, _epic_fields(form, creating=True))
        epic = await run_in_threadpool(write, request, viewer, lambda uow: portfolio.create_epic(uow, data))
    except DomainError as exc:
        return await run_in_threadpool(_epic_form, request, viewer, None, _submitted(form), exc, 422)
    return see_other(f"/portfolio/epics/{epic.key}")


@router.get("/portfolio/epics/{key}/edit", response_class=HTMLResponse)
def edit_epic_page(request: Request, viewer: PageViewer, key: str) -> Response:
    epic = read(request, viewer, lambda uow: portfolio.get_epic(uow, key))
    return _epic_form(request, viewer, epic.key, _values_of(epic.model_dump(mode="json")))


@router.post("/portfolio/epics/{key}/edit", response_class=HTMLResponse)
async def update_epic(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    try:
        data = parse(EpicUpdate, _epic_fields(form, creating=False))
        epic = await run_in_threadpool(write, request, viewer, lambda uow: portfolio.update_epic(uow, key, data))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await run_in_threadpool(_epic_form, request, viewer, key, _submitted(form), exc, 422)
    return see_other(f"/portfolio/epics/{epic.key}")


def _epic_form(
    request: Request,
    viewer: Viewer,
    key: str | None,
    values: dict[str, Any],
    error: DomainError | None = None,
    status_code: int = 200,
) -> Response:
    def load(uow: UnitOfWork) -> tuple[Any, Any]:
        return portfolio.list_themes(uow), accounts.list_users(uow, PageRequest(limit=200)).items

    themes, users = read(request, viewer, load)
    indicators = list(values.get("leading_indicators") or [])
    indicators += [{}] * NEW_INDICATOR_ROWS
    return render(
        request,
        "portfolio/epic_form.html",
        viewer,
        status_code=status_code,
        active="portfolio",
        key=key,
        values=values,
        indicators=indicators,
        themes=themes,
        users=users,
        hypothesis_parts=HYPOTHESIS_PARTS,
        error=error,
        problems=getattr(error, "problems", []),
        return_types=list(ReturnType),
        recommendations=list(Recommendation),
        directions=list(Direction),
    )


def _epic_fields(form: FormData, *, creating: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": text(form, "title"),
        "description": text(form, "description"),
        "epic_type": text(form, "epic_type") or "business",
        "owner": text(form, "owner") or (None if creating else ""),
        "themes": [t for t in form.getlist("themes") if isinstance(t, str)],
        "hypothesis": {name: text(form, f"hypothesis_{name}") for name, _ in HYPOTHESIS_PARTS},
        "business_outcomes": lines(text(form, "business_outcomes")),
        "nfrs": lines(text(form, "nfrs")),
        "mvp_definition": text(form, "mvp_definition"),
        "estimated_cost": optional(form, "estimated_cost"),
        "currency": text(form, "currency") or "EUR",
        "business_case": _business_case(form),
        "leading_indicators": _indicators(form),
    }
    if creating:
        fields = {k: v for k, v in fields.items() if v is not None}
    return fields


def _business_case(form: FormData) -> dict[str, Any] | None:
    summary = text(form, "case_analysis_summary")
    costs = (optional(form, "case_mvp_cost"), optional(form, "case_full_cost"))
    if not summary and not any(costs):
        return None
    return {
        "analysis_summary": summary,
        "outcomes_hypothesis": text(form, "case_outcomes_hypothesis"),
        "in_scope": text(form, "case_in_scope"),
        "out_of_scope": text(form, "case_out_of_scope"),
        "mvp_features": lines(text(form, "case_mvp_features")),
        "mvp_cost": costs[0],
        "full_cost": costs[1],
        "return_type": text(form, "case_return_type") or "revenue",
        "recommendation": text(form, "case_recommendation") or "undecided",
    }


def _indicators(form: FormData) -> list[dict[str, Any]]:
    rows = []
    index = 0
    while f"indicator_{index}_name" in form:
        prefix = f"indicator_{index}_"
        if text(form, prefix + "name"):
            row: dict[str, Any] = {name: text(form, prefix + name) for name in INDICATOR_FIELDS}
            row["weight"] = row["weight"] or "1"
            row["critical"] = text(form, prefix + "critical") == "on"
            rows.append(row)
        index += 1
    return rows


def _submitted(form: FormData) -> dict[str, Any]:
    values = _epic_fields(form, creating=True)
    values["owner"] = text(form, "owner")
    values["business_case"] = values.get("business_case") or {}
    return values


def _values_of(epic: dict[str, Any]) -> dict[str, Any]:
    epic["business_case"] = epic.get("business_case") or {}
    return epic


@router.get("/portfolio/epics/{key}", response_class=HTMLResponse)
def epic_view(request: Request, viewer: PageViewer, key: str) -> Response:
    return epic_page(request, viewer, key)


def epic_page(
    request: Request, viewer: Viewer, key: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    def load(uow: UnitOfWork) -> dict[str, Any]:
        epic = portfolio.get_epic(uow, key)
        return {
            "epic": epic,
            "features": portfolio.product_backlog(uow, epic.key),
            "transitions": portfolio.list_transitions(uow, epic.key),
            "decisions": portfolio.list_decisions(uow, epic.key),
            "scores": portfolio.score_history(uow, epic.key),
            "themes": {t.key: t for t in portfolio.list_themes(uow, include_archived=True)},
        }

    data = read(request, viewer, load)
    epic = data["epic"]
    timeline = sorted(
        [("move", t.at, t) for t in data["transitions"]]
        + [("decision", d.at, d) for d in data["decisions"]]
        + [("score", s.at, s) for s in data["scores"]],
        key=lambda item: item[1],
        reverse=True,
    )
    return render(
        request,
        "portfolio/epic.html",
        viewer,
        status_code=status_code,
        active="portfolio",
        error=error,
        timeline=timeline,
        labels=portfolio.column_labels(),
        move_options=portfolio.move_options(epic.column),
        done_reasons=portfolio.done_reasons_for(epic.column),
        decision_kinds=portfolio.decisions_for(epic.column),
        hypothesis_parts=HYPOTHESIS_PARTS,
        scale=SCALE,
        can_write=can(viewer, Permission.PORTFOLIO_WRITE),
        can_decide=can(viewer, Permission.PORTFOLIO_DECIDE),
        **data,
    )


@router.post("/portfolio/epics/{key}/decide", response_class=HTMLResponse)
def decide(
    request: Request,
    viewer: FormViewer,
    key: str,
    kind: Annotated[str, Form()],
    rationale: Annotated[str, Form()] = "",
    wip_override_reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        data = parse(
            DecisionCreate,
            {"kind": kind, "rationale": rationale, "wip_override_reason": wip_override_reason or None},
        )
        write(request, viewer, lambda uow: portfolio.decide(uow, key, data))
    except DomainError as exc:
        return epic_page(request, viewer, key, error=exc.detail, status_code=_status(exc))
    return see_other(f"/portfolio/epics/{key.upper()}")


@router.post("/portfolio/epics/{key}/score", response_class=HTMLResponse)
async def score(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    try:
        data = parse(ScoreInput, {**(score_from_form(form) or {}), "note": text(form, "note")})
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.score_epic(uow, key, data))
    except DomainError as exc:
        return await run_in_threadpool(epic_page, request, viewer, key, error=exc.detail, status_code=_status(exc))
    return see_other(f"/portfolio/epics/{key.upper()}")


# --- the WSJF backlog and its scoring table ------------------------------------------------------------


@router.get("/portfolio/backlog", response_class=HTMLResponse)
def backlog_page(request: Request, viewer: PageViewer) -> Response:
    return _backlog(request, viewer)


def _backlog(
    request: Request,
    viewer: Viewer,
    *,
    error: str | None = None,
    notice: str | None = None,
    submitted: FormData | None = None,
    status_code: int = 200,
) -> Response:
    ranked = read(request, viewer, portfolio.backlog)
    return render(
        request,
        "portfolio/backlog.html",
        viewer,
        status_code=status_code,
        active="portfolio",
        tab="backlog",
        backlog=ranked,
        scale=SCALE,
        parts=SCORE_PARTS,
        labels=portfolio.column_labels(),
        error=error,
        notice=notice,
        submitted=submitted,
        can_write=can(viewer, Permission.PORTFOLIO_WRITE),
    )


@router.post("/portfolio/backlog", response_class=HTMLResponse)
async def rescore(request: Request, viewer: FormViewer) -> Response:
    """The scoring table: every scored row at once, all or nothing."""
    form = await request.form()
    keys = [k for k in form.getlist("epic") if isinstance(k, str)]
    items = []
    for key in keys:
        values = score_from_form(form, f"{key}:")
        if values is not None:
            items.append({"key": key, **values})
    if not items:
        return await run_in_threadpool(_backlog, request, viewer, error="No scores to save.", status_code=422)
    try:
        data = parse(Rescore, {"scores": items, "note": text(form, "note")})
        changed = await run_in_threadpool(write, request, viewer, lambda uow: portfolio.rescore_epics(uow, data))
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        detail = _rescore_problem(exc, items)
        return await run_in_threadpool(_backlog, request, viewer, error=detail, submitted=form, status_code=422)
    notice = f"Re-scored {len(changed)} epic(s)." if changed else "No score changed."
    return await run_in_threadpool(_backlog, request, viewer, notice=notice)


def _rescore_problem(exc: DomainError, items: list[dict[str, Any]]) -> str:
    """Name the epic behind `scores.3.job_size`."""
    if not isinstance(exc, ValidationFailed):
        return exc.detail
    reasons = []
    for problem in exc.problems:
        parts = problem.field.split(".")
        if len(parts) >= 3 and parts[0] == "scores" and parts[1].isdigit() and int(parts[1]) < len(items):
            reasons.append(f"{items[int(parts[1])]['key']} {parts[2].replace('_', ' ')}: {problem.reason}")
        else:
            reasons.append(f"{problem.field}: {problem.reason}")
    return "; ".join(reasons)


# --- themes --------------------------------------------------------------------------------------------

NEW_KEY_RESULT_ROWS = 3


@router.get("/portfolio/themes", response_class=HTMLResponse)
def themes_page(request: Request, viewer: PageViewer) -> Response:
    return _themes(request, viewer)


def _themes(request: Request, viewer: Viewer, *, error: str | None = None, status_code: int = 200) -> Response:
    themes = read(request, viewer, lambda uow: portfolio.list_themes(uow, include_archived=True))
    return render(
        request,
        "portfolio/themes.html",
        viewer,
        status_code=status_code,
        active="portfolio",
        tab="themes",
        themes=themes,
        error=error,
        key_result_rows=range(NEW_KEY_RESULT_ROWS),
        can_decide=can(viewer, Permission.PORTFOLIO_DECIDE),
    )


@router.post("/portfolio/themes", response_class=HTMLResponse)
async def create_theme(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    key_results = []
    for n in range(NEW_KEY_RESULT_ROWS):
        prefix = f"kr_{n}_"
        if text(form, prefix + "description"):
            key_results.append(
                {
                    "description": text(form, prefix + "description"),
                    "metric_query": optional(form, prefix + "metric_query"),
                    "baseline": optional(form, prefix + "baseline"),
                    "target": text(form, prefix + "target"),
                    "unit": text(form, prefix + "unit"),
                    "due": optional(form, prefix + "due"),
                }
            )
    try:
        data = parse(
            ThemeCreate,
            {
                "objective": text(form, "objective"),
                "description": text(form, "description"),
                "key_results": key_results,
                "valid_from": optional(form, "valid_from"),
                "valid_to": optional(form, "valid_to"),
            },
        )
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.create_theme(uow, data))
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return await run_in_threadpool(_themes, request, viewer, error=exc.detail, status_code=422)
    return see_other("/portfolio/themes")


@router.post("/portfolio/themes/{key}/archive")
def archive_theme(request: Request, viewer: FormViewer, key: str, archived: Annotated[str, Form()] = "on") -> Response:
    data = ThemeUpdate(archived=archived == "on")
    write(request, viewer, lambda uow: portfolio.update_theme(uow, key, data))
    return see_other("/portfolio/themes")


# --- kanban settings -----------------------------------------------------------------------------------


@router.get("/portfolio/settings", response_class=HTMLResponse)
def settings_page(request: Request, viewer: PageViewer) -> Response:
    return _settings(request, viewer)


def _settings(
    request: Request, viewer: Viewer, *, error: str | None = None, notice: str | None = None, status_code: int = 200
) -> Response:
    config = read(request, viewer, portfolio.get_kanban_config)
    return render(
        request,
        "portfolio/settings.html",
        viewer,
        status_code=status_code,
        active="portfolio",
        tab="settings",
        config=config,
        error=error,
        notice=notice,
        can_decide=can(viewer, Permission.PORTFOLIO_DECIDE),
    )


@router.post("/portfolio/settings", response_class=HTMLResponse)
async def save_settings(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    limits = {str(state): optional(form, f"wip_{state}") for state in EpicState}
    gates = {str(gate): text(form, f"gate_{gate}") == "on" for gate in Gate}
    try:
        data = parse(KanbanConfigUpdate, {"wip_limits": limits, "gates": gates})
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.update_kanban_config(uow, data))
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return await run_in_threadpool(_settings, request, viewer, error=exc.detail, status_code=422)
    return await run_in_threadpool(_settings, request, viewer, notice="Saved.")


# --- import --------------------------------------------------------------------------------------------


@router.get("/portfolio/import", response_class=HTMLResponse)
def import_page(request: Request, viewer: PageViewer) -> Response:
    return render(request, "portfolio/import.html", viewer, active="portfolio", tab="import", report=None)


@router.post("/portfolio/import", response_class=HTMLResponse)
async def import_file(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    upload = form.get("file")
    error = None
    report = None
    if not isinstance(upload, UploadFile) or not upload.filename:
        if isinstance(upload, UploadFile):
            await upload.close()
        error = "Choose a CSV or JSON file."
    else:
        try:
            raw = await upload.read()
        finally:
            await upload.close()
        fmt = ImportFormat.JSON if upload.filename.lower().endswith(".json") else ImportFormat.CSV
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            error = "The file is not UTF-8 text."
        else:
            dry_run, skip = text(form, "dry_run") == "on", text(form, "skip_invalid") == "on"

            def work(uow: UnitOfWork) -> Any:
                return portfolio.import_items(uow, content, fmt, dry_run=dry_run, skip_invalid=skip)

            report = await run_in_threadpool(write, request, viewer, work)
    return render(
        request,
        "portfolio/import.html",
        viewer,
        status_code=422 if error or (report is not None and report.errors and not report.skip_invalid) else 200,
        active="portfolio",
        tab="import",
        report=report,
        error=error,
    )
