"""Reading the portfolio and product forms, and the boards' JSON answers (the product pages use them too)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData

from digital_factory.core.errors import DomainError
from digital_factory.core.schemas import InputModel, parse_input
from digital_factory.web.context import REFUSALS, Viewer, record_refused
from digital_factory.web.rendering import render

M = TypeVar("M", bound=InputModel)
SCORE_PARTS = ("user_business_value", "time_criticality", "risk_reduction", "job_size")


def lines(text: str | None) -> list[str]:
    """A textarea as a list: one item per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def json_or_text(value: str) -> Any:
    """A field that may hold JSON: its value, or else the text as given (for the schema to refuse by name)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def score_from_form(form: FormData, prefix: str = "") -> dict[str, str] | None:
    """The four WSJF selects; None when all are empty."""
    values = {part: text(form, prefix + part) for part in SCORE_PARTS}
    return {part: value for part, value in values.items() if value} or None


def score_fields(form: FormData) -> dict[str, str]:
    """The scoring form's fields: the WSJF selects given and the note on why the score changed."""
    return {**(score_from_form(form) or {}), "note": text(form, "note")}


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def failure(request: Request, exc: DomainError, **extra: Any) -> JSONResponse:
    """A refusal for the boards' scripts. An expected outcome of dragging a card, so it answers 200 with
    `ok: false` (the browser would log a 4xx as an error); the REST API answers such refusals with 409.
    A permission refusal is audited like every other refusal."""
    if isinstance(exc, REFUSALS):
        record_refused(request, exc)
    return JSONResponse(
        {"ok": False, "message": exc.detail, "rule": getattr(exc, "rule", None), "code": exc.code, **extra}
    )


def parse(model: type[M], data: dict[str, Any]) -> M:
    return parse_input(model, data)


def tab_page(request: Request, viewer: Viewer, name: str, *, status_code: int = 200, **context: Any) -> Response:
    """One of the portfolio's tabbed pages: `templates/portfolio/<name>.html` with its tab marked."""
    return render(
        request, f"portfolio/{name}.html", viewer, status_code=status_code, active="portfolio", tab=name, **context
    )
