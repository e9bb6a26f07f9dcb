"""The attribution page: ask what a KPI did around the releases of a feature, flag or service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from digital_factory.core.errors import DomainError
from digital_factory.core.schemas import validation_failed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import COHORT_LABEL, Attribution, AttributionQuery
from digital_factory.web.context import read, refusal
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
SUBJECTS = ("feature", "flag", "service")
EXAMPLE_KPI = "sum(business.units_sold[1d])"


@router.get("/insights/attribution", response_class=HTMLResponse)
def attribution_page(
    request: Request,
    viewer: PageViewer,
    subject: str = "flag",
    key: str = "",
    kpi: str = "",
    days: str = "14",
    environment: str = "",
) -> Response:
    form = {
        "subject": subject if subject in SUBJECTS else "flag",
        "key": key,
        "kpi": kpi,
        "days": days,
        "environment": environment,
    }
    found: Attribution | None = None
    message, status = None, 200
    if key and kpi:
        try:
            query = _query(form)
            found = read(request, viewer, lambda uow: insights.attribute(uow, query))
        except DomainError as exc:
            refused = refusal(exc)
            message, status = refused.message, refused.status
    context: dict[str, Any] = {"form": form, "found": found, "message": message, "subjects": SUBJECTS}
    return render(
        request,
        "insights_attribution.html",
        viewer,
        status_code=status,
        active="insights",
        example=EXAMPLE_KPI,
        cohort_label=COHORT_LABEL,
        **context,
    )


def _query(form: dict[str, str]) -> AttributionQuery:
    data = {
        form["subject"]: form["key"].strip(),
        "kpi": form["kpi"].strip(),
        "days": form["days"].strip() or "14",
        "environment": form["environment"].strip() or None,
    }
    try:
        return AttributionQuery.model_validate(data, strict=False)
    except ValidationError as exc:
        raise validation_failed(exc) from None
