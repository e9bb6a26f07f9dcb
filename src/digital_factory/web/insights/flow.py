"""The flow page: the five flow measures of a team, value stream or epic over a window, the cumulative flow
diagram (stacked areas, with its table) and the value stream map (stages as boxes with waiting and active
bars, the slowest marked). Bad choices are named next to their field."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.catalog import service as catalog
from digital_factory.core.errors import ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import CumulativeFlow, FlowState
from digital_factory.portfolio.schemas import WorkLevel
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import field_problems, read
from digital_factory.web.lookup import team_options
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render

router = APIRouter(include_in_schema=False)
SPANS = (14, 30, 90, 180, 365)
# bottom to top, as a cumulative flow diagram stacks them; colours 4.5:1 or more on white
CFD_ORDER = (FlowState.DONE, FlowState.CANCELED, FlowState.ACTIVE, FlowState.WAITING, FlowState.NEW)
CFD_COLOURS = {
    FlowState.DONE: "#166534",
    FlowState.CANCELED: "#4b5563",
    FlowState.ACTIVE: "#1d4ed8",
    FlowState.WAITING: "#92400e",
    FlowState.NEW: "#6d28d9",
}


@dataclass(frozen=True)
class Choice:
    """What the person picked: the page's query string."""

    team: str = ""
    value_stream: str = ""
    epic: str = ""
    level: str = "feature"
    days: int = 30


def cfd_option(cfd: CumulativeFlow) -> str:
    """A stacked area chart option (the JSON `data-chart` holds): one area per flow state, per day."""
    option: dict[str, Any] = {
        "animation": False,
        "tooltip": {"trigger": "axis", "confine": True},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "boundaryGap": False, "data": [d.at.strftime("%m-%d") for d in cfd.days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": state.value,
                "type": "line",
                "stack": "cfd",
                "symbol": "none",
                "areaStyle": {"opacity": 0.85},
                "lineStyle": {"width": 1},
                "color": CFD_COLOURS[state],
                "data": [d.counts[state] for d in cfd.days],
            }
            for state in CFD_ORDER
        ],
    }
    return json.dumps(option, separators=(",", ":"))


def _level(choice: Choice) -> WorkLevel:
    try:
        return WorkLevel(choice.level)
    except ValueError:
        raise ValidationFailed.on("level", "is feature or story") from None


def _gather(uow: UnitOfWork, choice: Choice) -> dict[str, Any]:
    found: dict[str, Any] = {
        "teams": team_options(uow),  # the picker's first choices; typing asks /lookup/teams
        "streams": catalog.list_value_streams(uow),
        "errors": {},
    }
    try:
        query = insights.FlowQuery(
            team=choice.team or None,
            value_stream=choice.value_stream or None,
            epic=choice.epic or None,
            level=_level(choice),
        )
        end = uow.clock.now()
        start = end - timedelta(days=choice.days)
        found["metrics"] = insights.flow_metrics(uow, query, start=start, end=end)
        cfd = insights.cumulative_flow(uow, query, start=start, end=end)
        found.update(cfd=cfd, cfd_chart=cfd_option(cfd), cfd_states=CFD_ORDER)
        if choice.epic or choice.value_stream:
            found["vsm"] = insights.value_stream_map(
                uow, epic=choice.epic or None, value_stream=None if choice.epic else choice.value_stream
            )
    except ValidationFailed as exc:
        found["errors"] = field_problems(exc)
    return found


@router.get("/insights/flow", response_class=HTMLResponse)
def flow_page(request: Request, viewer: PageViewer, asked: Annotated[Choice, Depends()]) -> Response:
    choice = replace(
        asked,
        team=asked.team.strip(),
        value_stream=asked.value_stream.strip(),
        epic=asked.epic.strip(),
        days=asked.days if asked.days in SPANS else 30,
    )
    found = read(request, viewer, lambda uow: _gather(uow, choice))
    return render(request, "insights_flow.html", viewer, active="insights", choice=choice, spans=SPANS, **found)
