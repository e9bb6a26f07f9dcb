"""Strategic themes: the list and the form for a new one (board)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import ThemeCreate, ThemeUpdate
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.portfolio.forms import optional, parse, tab_page, text

router = APIRouter(include_in_schema=False)


# --- themes --------------------------------------------------------------------------------------------

NEW_KEY_RESULT_ROWS = 3


@router.get("/portfolio/themes", response_class=HTMLResponse)
def themes_page(request: Request, viewer: PageViewer) -> Response:
    return _themes(request, viewer)


def _themes(request: Request, viewer: Viewer, *, error: str | None = None, status_code: int = 200) -> Response:
    themes = read(request, viewer, lambda uow: portfolio.list_themes(uow, include_archived=True))
    return tab_page(
        request,
        viewer,
        "themes",
        status_code=status_code,
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
        r = refusal(exc)
        return await run_in_threadpool(_themes, request, viewer, error=r.message, status_code=r.status)
    return see_other("/portfolio/themes")


@router.post("/portfolio/themes/{key}/archive")
def archive_theme(request: Request, viewer: FormViewer, key: str, archived: Annotated[str, Form()] = "on") -> Response:
    data = ThemeUpdate(archived=archived == "on")
    write(request, viewer, lambda uow: portfolio.update_theme(uow, key, data))
    return see_other("/portfolio/themes")
