"""/insights: DORA and flow figures, value lead time, hypothesis evaluations, attribution and the board pack."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from digital_factory.api.context import Reading, runtime
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraBucket, DoraReport

router = APIRouter(prefix="/insights", tags=["insights"])

ScopeKey = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/dora")
def dora(
    request: Request,
    uow: Reading,
    service: ScopeKey = None,
    team: ScopeKey = None,
    value_stream: ScopeKey = None,
    epic: ScopeKey = None,
    start: datetime | None = None,
    end: datetime | None = None,
    period: Annotated[
        str | None,
        Query(max_length=20, description="`2026`, `2026-Q4`, `2026-11` or `2026-W48`, instead of start/end."),
    ] = None,
    bucket: DoraBucket = DoraBucket.WEEK,
) -> DoraReport:
    """DORA's five figures with sample sizes and bands, per service and per trend bucket, for one scope (at
    most one of service, team, value_stream, epic; none: every service) over [start, end) (default: the last
    90 days)."""
    if period is not None:
        if start is not None or end is not None:
            raise ValidationFailed.on("period", "give a period or start/end, not both")
        start, end = insights.period_bounds(period)
    return insights.dora_report(
        uow,
        runtime(request).dora,
        service=service,
        team=team,
        value_stream=value_stream,
        epic=epic,
        start=start,
        end=end,
        bucket=bucket,
    )
