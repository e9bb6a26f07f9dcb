"""Strategic themes: the list and the form for a new one (board)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from digital_factory.accounts.schemas import Permission
from digital_factory.core.errors import DomainError
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import KeyResultValue
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Theme, ThemeCreate, ThemeUpdate
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import Viewer, can, read, refusal, write
from digital_factory.web.pages import FormViewer, PageViewer, see_other
from digital_factory.web.portfolio.forms import optional, parse, tab_page, text

router = APIRouter(include_in_schema=False)


# --- themes --------------------------------------------------------------------------------------------

NEW_KEY_RESULT_ROWS = 3
MAX_KEY_RESULTS = 10  # ThemeUpdate's limit: the edit form offers the theme's rows plus empty ones up to it


@router.get("/portfolio/themes", response_class=HTMLResponse)
def themes_page(request: Request, viewer: PageViewer) -> Response:
    return _themes(request, viewer)


def _themes(request: Request, viewer: Viewer, *, error: str | None = None, status_code: int = 200) -> Response:
    def load(uow: UnitOfWork) -> tuple[list[Theme], dict[str, list[KeyResultValue]]]:
        themes = portfolio.list_themes(uow, include_archived=True)
        # the key results' current values, read on every visit (archived themes keep their words only)
        current = {t.key: insights.key_results(uow, t.key).key_results for t in themes if not t.archived}
        return themes, current

    themes, current = read(request, viewer, load)
    return tab_page(
        request,
        viewer,
        "themes",
        status_code=status_code,
        themes=themes,
        current=current,
        error=error,
        key_result_rows=range(NEW_KEY_RESULT_ROWS),
        max_key_results=MAX_KEY_RESULTS,
        can_decide=can(viewer, Permission.PORTFOLIO_DECIDE),
    )


def _key_results(form: FormData, rows: int) -> list[dict[str, Any]]:
    """The key-result rows of a theme form that have a description."""
    key_results = []
    for n in range(rows):
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
    return key_results


def _theme_fields(form: FormData, rows: int) -> dict[str, Any]:
    return {
        "objective": text(form, "objective"),
        "description": text(form, "description"),
        "key_results": _key_results(form, rows),
        "valid_from": optional(form, "valid_from"),
        "valid_to": optional(form, "valid_to"),
    }


@router.post("/portfolio/themes", response_class=HTMLResponse)
async def create_theme(request: Request, viewer: FormViewer) -> Response:
    form = await request.form()
    try:
        data = parse(ThemeCreate, _theme_fields(form, NEW_KEY_RESULT_ROWS))
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.create_theme(uow, data))
    except DomainError as exc:
        r = refusal(exc)
        return await run_in_threadpool(_themes, request, viewer, error=r.message, status_code=r.status)
    return see_other("/portfolio/themes")


@router.post("/portfolio/themes/{key}", response_class=HTMLResponse)
async def update_theme(request: Request, viewer: FormViewer, key: str) -> Response:
    """The edit form: objective, description, period and key results (emptying a row removes it)."""
    form = await request.form()
    try:
        # every field is sent, so the edit replaces them all (an emptied date clears it)
        data = parse(ThemeUpdate, _theme_fields(form, MAX_KEY_RESULTS))
        await run_in_threadpool(write, request, viewer, lambda uow: portfolio.update_theme(uow, key, data))
    except DomainError as exc:
        r = refusal(exc)
        return await run_in_threadpool(_themes, request, viewer, error=f"{key}: {r.message}", status_code=r.status)
    return see_other(f"/portfolio/themes#{key}")


@router.post("/portfolio/themes/{key}/archive")
def archive_theme(request: Request, viewer: FormViewer, key: str, archived: Annotated[str, Form()] = "on") -> Response:
    data = ThemeUpdate(archived=archived == "on")
    write(request, viewer, lambda uow: portfolio.update_theme(uow, key, data))
    return see_other("/portfolio/themes")
