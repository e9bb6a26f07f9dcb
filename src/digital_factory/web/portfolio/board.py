"""The portfolio kanban board: drag and drop (JSON) and the epic page's move form (HTML)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import CardEvaluation
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Board, MoveRequest
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, can, kept, read, refusal, write
from digital_factory.web.insights import hypotheses
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.portfolio.epics import epic_page
from digital_factory.web.portfolio.forms import failure, parse, tab_page, wants_json

router = APIRouter(include_in_schema=False)


# --- the board ---------------------------------------------------------------------------------------


@router.get("/portfolio", response_class=HTMLResponse)
def board_page(request: Request, viewer: PageViewer) -> Response:
    theta = hypotheses.thresholds(request)

    def load(uow: UnitOfWork) -> tuple[Board, dict[str, CardEvaluation]]:
        board = kept(request, uow, portfolio.TOPIC, "board", lambda: portfolio.board(uow))
        cards = tuple(hypotheses.card_keys(board))
        evaluate = lambda: insights.card_evaluations(uow, list(cards), theta)  # noqa: E731
        return board, kept(request, uow, insights.CARDS_TOPIC, (cards, theta), evaluate, max_age=insights.CARD_MAX_AGE)

    board, evaluations = read(request, viewer, load)
    return tab_page(
        request,
        viewer,
        "board",
        board=board,
        evaluations=evaluations,
        **hypotheses.template_helpers(),
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
        if wants_json(request):
            return failure(request, exc, **_refusal_options(request, viewer, key, to, exc))
        r = refusal(exc)
        return epic_page(request, viewer, key, error=r.message, status_code=r.status)
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
