"""Epics: the list, the create and edit forms, the epic page with its timeline, decisions and scores."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError, NotFound
from digital_factory.core.pagination import PageRequest
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import HypothesisDecision
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    SCALE,
    Direction,
    EpicCreate,
    EpicFilter,
    EpicState,
    EpicUpdate,
    Recommendation,
    ReturnType,
    ScoreInput,
)
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.insights import hypotheses
from digital_factory.web.insights import loop as loop_section
from digital_factory.web.lookup import user_options
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.paging import Offset, pager_of
from digital_factory.web.portfolio.forms import json_or_text, lines, optional, parse, score_fields, tab_page, text
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)


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


# --- epics -------------------------------------------------------------------------------------------


@router.get("/portfolio/epics", response_class=HTMLResponse)
def epics_page(
    request: Request,
    viewer: PageViewer,
    state: str = "",
    q: Annotated[str, Query(max_length=200)] = "",
    theme: Annotated[str, Query(max_length=20)] = "",
    offset: Offset = 0,
) -> Response:
    filters = parse(EpicFilter, {"state": state or None, "q": q or None, "theme": theme or None})
    page = read(request, viewer, lambda uow: portfolio.list_epics(uow, filters, PageRequest(limit=50, offset=offset)))
    return tab_page(
        request,
        viewer,
        "epics",
        page=page,
        pager=pager_of("/portfolio/epics", {"state": state, "q": q, "theme": theme}, page),
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
        r = refusal(exc)
        return await run_in_threadpool(_epic_form, request, viewer, None, _submitted(form), exc, r.status)
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
            raise  # no such epic: the 404 page, not a form to correct
        r = refusal(exc)
        return await run_in_threadpool(_epic_form, request, viewer, key, _submitted(form), exc, r.status)
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
        return portfolio.list_themes(uow), user_options(uow)

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
            "evaluation": hypotheses.evaluate(request, uow, epic.key),
            "features": portfolio.product_backlog(uow, epic.key),
            "transitions": portfolio.list_transitions(uow, epic.key),
            "decisions": portfolio.list_decisions(uow, epic.key),
            "scores": portfolio.score_history(uow, epic.key),
            "themes": {t.key: t for t in portfolio.list_themes(uow, include_archived=True)},
            **loop_section.epic_loop(request, uow, epic.key),
        }

    data = read(request, viewer, load)
    epic = data["epic"]
    evaluation = data["evaluation"]
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
        snapshot=hypotheses.snapshot_json(evaluation),
        **hypotheses.template_helpers(),
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
    evaluation: Annotated[str, Form()] = "",
) -> Response:
    """The board's decision, recorded with the evaluation the page showed (the form carries it back)."""
    fields = {"kind": kind, "rationale": rationale, "wip_override_reason": wip_override_reason or None}
    if evaluation:
        fields["evaluation"] = json_or_text(evaluation)
    try:
        data = parse(HypothesisDecision, fields)
        theta = hypotheses.thresholds(request)
        write(request, viewer, lambda uow: insights.decide_on_hypothesis(uow, key, data, theta))
    except DomainError as exc:
        r = refusal(exc)
        return epic_page(request, viewer, key, error=r.message, status_code=r.status)
    return see_other(f"/portfolio/epics/{key.upper()}")


@router.post("/portfolio/epics/{key}/score", response_class=HTMLResponse)
async def score(request: Request, viewer: FormViewer, key: str) -> Response:
    form = await request.form()
    try:
        data = parse(ScoreInput, score_fields(form))
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.score_epic(uow, key, data))
    except DomainError as exc:
        r = refusal(exc)
        return await run_in_threadpool(epic_page, request, viewer, key, error=r.message, status_code=r.status)
    return see_other(f"/portfolio/epics/{key.upper()}")
