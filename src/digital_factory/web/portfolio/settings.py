"""The kanban's settings: WIP limits and gates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicState, Gate, KanbanConfigUpdate
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.pages import FormViewer, PageViewer
from digital_factory.web.portfolio.forms import optional, parse, tab_page, text

router = APIRouter(include_in_schema=False)


# --- kanban settings -----------------------------------------------------------------------------------


@router.get("/portfolio/settings", response_class=HTMLResponse)
def settings_page(request: Request, viewer: PageViewer) -> Response:
    return _settings(request, viewer)


def _settings(
    request: Request, viewer: Viewer, *, error: str | None = None, notice: str | None = None, status_code: int = 200
) -> Response:
    config = read(request, viewer, portfolio.get_kanban_config)
    return tab_page(
        request,
        viewer,
        "settings",
        status_code=status_code,
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
        r = refusal(exc)
        return await run_in_threadpool(_settings, request, viewer, error=r.message, status_code=r.status)
    return await run_in_threadpool(_settings, request, viewer, notice="Saved.")
