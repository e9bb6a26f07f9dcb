"""/insights: DORA and flow figures, value lead time, hypothesis evaluations, attribution and the board pack."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from digital_factory.api.context import Reading
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import COHORT_LABEL, Attribution, AttributionQuery

router = APIRouter(prefix="/insights", tags=["insights"])


# --- attribution and the board pack ------------------------------------------------------------------------


@router.get("/attribution")
def attribution(
    uow: Reading,
    kpi: Annotated[str, Query(max_length=1000, description="e.g. `sum(business.units_sold[1d])`: one sample a day.")],
    feature: Annotated[str | None, Query(max_length=40)] = None,
    flag: Annotated[str | None, Query(max_length=100)] = None,
    service: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=1, le=90, description="Days on each side of a release.")] = 14,
    environment: Annotated[str | None, Query(max_length=40)] = None,
    cohort_label: Annotated[str, Query(max_length=64, description="The event attribute naming the variant.")] = (
        COHORT_LABEL
    ),
) -> Attribution:
    """The KPI before and after each of the newest releases of a feature, flag or service (equal windows),
    and each on variant against the off variant, with Welch's 95 % interval or "not enough data"."""
    query = AttributionQuery(
        feature=feature,
        flag=flag,
        service=service,
        kpi=kpi,
        days=days,
        environment=environment,
        cohort_label=cohort_label,
    )
    return insights.attribute(uow, query)


@router.get("/board-pack", response_class=Response, responses={200: {"content": {"text/html": {}}}})
def board_pack(
    uow: Reading,
    period: Annotated[str, Query(max_length=20, description="A quarter (2026-Q4), a month (2026-11) or a year.")],
) -> Response:
    """The board pack of the period as one self-contained HTML file (an attachment)."""
    pack = insights.board_pack(uow, period)
    return Response(
        insights.render_board_pack(pack),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{insights.pack_filename(pack)}"'},
    )
