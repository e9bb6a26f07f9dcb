"""/insights: DORA and flow figures, value lead time, hypothesis evaluations, attribution and the board pack."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from digital_factory.api.context import Reading
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import CumulativeFlow, FlowMetrics, ValueLeadTimes, ValueStreamMap
from digital_factory.portfolio.schemas import WorkLevel

router = APIRouter(prefix="/insights", tags=["insights"])


# --- flow, the value stream map and value lead time ---------------------------------------------------

TeamParam = Annotated[str | None, Query(max_length=64, description="Team key: that team's items.")]
StreamParam = Annotated[str | None, Query(max_length=64, description="Value stream key: work linked to its services.")]
EpicParam = Annotated[str | None, Query(max_length=40, description="Epic key, e.g. EPIC-3.")]
LevelParam = Annotated[WorkLevel, Query(description="Count features or stories.")]
StartParam = Annotated[datetime | None, Query(description="Window start (default: 30 days before end).")]
EndParam = Annotated[datetime | None, Query(description="Window end, exclusive (default and latest: now).")]


@router.get("/flow")
def flow_metrics(
    uow: Reading,
    team: TeamParam = None,
    value_stream: StreamParam = None,
    epic: EpicParam = None,
    level: LevelParam = WorkLevel.FEATURE,
    start: StartParam = None,
    end: EndParam = None,
) -> FlowMetrics:
    """Flow velocity, time, load, efficiency and distribution of a team, value stream or epic (or all)."""
    query = insights.FlowQuery(team=team, value_stream=value_stream, epic=epic, level=level)
    return insights.flow_metrics(uow, query, start=start, end=end)


@router.get("/flow/cfd")
def cumulative_flow(
    uow: Reading,
    team: TeamParam = None,
    value_stream: StreamParam = None,
    epic: EpicParam = None,
    level: LevelParam = WorkLevel.FEATURE,
    start: StartParam = None,
    end: EndParam = None,
) -> CumulativeFlow:
    """The cumulative flow diagram: per day, the items in each flow state."""
    query = insights.FlowQuery(team=team, value_stream=value_stream, epic=epic, level=level)
    return insights.cumulative_flow(uow, query, start=start, end=end)


@router.get("/value-stream-map")
def value_stream_map(uow: Reading, value_stream: StreamParam = None, epic: EpicParam = None) -> ValueStreamMap:
    """Idea to production in stages, waiting versus active time per stage, the slowest marked."""
    return insights.value_stream_map(uow, value_stream=value_stream, epic=epic)


@router.get("/value-lead-time")
def value_lead_time(uow: Reading, epic: EpicParam = None, value_stream: StreamParam = None) -> ValueLeadTimes:
    """Epic approved (entered Implementing) to customers first exposed, per feature and per epic."""
    return insights.value_lead_time(uow, epic=epic, value_stream=value_stream)
