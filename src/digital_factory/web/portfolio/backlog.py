"""The WSJF backlog and its scoring table."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError, ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import RescoreSuggestion
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import SCALE, Backlog, Rescore
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.insights import hypotheses
from digital_factory.web.pages import FormViewer, PageViewer
from digital_factory.web.paging import Offset, pager
from digital_factory.web.portfolio.forms import SCORE_PARTS, parse, score_from_form, tab_page, text

router = APIRouter(include_in_schema=False)


# --- the WSJF backlog and its scoring table ------------------------------------------------------------


BACKLOG_PAGE_SIZE = 50  # rows of the scoring table a page; a person scores a page at a time


@router.get("/portfolio/backlog", response_class=HTMLResponse)
def backlog_page(request: Request, viewer: PageViewer, offset: Offset = 0) -> Response:
    return _backlog(request, viewer, offset=offset)


def _backlog(
    request: Request,
    viewer: Viewer,
    *,
    error: str | None = None,
    notice: str | None = None,
    submitted: FormData | None = None,
    status_code: int = 200,
    offset: int = 0,
) -> Response:
    """One page of the ranked backlog (ranks count from the top of the whole backlog); saving the table
    re-scores the rows shown."""
    theta = hypotheses.thresholds(request)

    def load(uow: UnitOfWork) -> tuple[Backlog, list[RescoreSuggestion]]:
        return portfolio.backlog(uow), insights.rescore_suggestions(uow, theta)

    ranked, suggestions = read(request, viewer, load)
    shown = ranked.entries[offset : offset + BACKLOG_PAGE_SIZE]
    return tab_page(
        request,
        viewer,
        "backlog",
        status_code=status_code,
        backlog=ranked.model_copy(update={"entries": shown}),
        pager=pager(
            "/portfolio/backlog",
            {},
            offset=offset,
            limit=BACKLOG_PAGE_SIZE,
            shown=len(shown),
            total=len(ranked.entries),
        ),
        suggestions=suggestions,
        theta=theta,
        **hypotheses.template_helpers(),
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
        r = refusal(exc)
        detail = _rescore_problem(exc, items)
        return await run_in_threadpool(_backlog, request, viewer, error=detail, submitted=form, status_code=r.status)
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
