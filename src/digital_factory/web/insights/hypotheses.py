"""Hypothesis evaluation on the pages: `/insights/hypotheses` (every MVP under test), and what the portfolio
pages use: status words and badge colours, each indicator's chart (ECharts option JSON) and the snapshot a
decision form carries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.insights import service as insights
from digital_factory.insights.schemas import HypothesisEvaluation, IndicatorEvaluation
from digital_factory.portfolio.schemas import Board, EpicState
from digital_factory.runtime import runtime_of
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import read
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import render
from digital_factory.web.telemetry.charts import Line, line_option

router = APIRouter(include_in_schema=False)

# badge colour per status (contrast checked in the stylesheet's badge classes)
STATUS_BADGE = {
    "validated": "ok",
    "on-track": "",
    "at-risk": "warn",
    "invalidated": "bad",
    "no-data": "muted",
    "untested": "muted",
}
ADVICE_BADGE = {"persevere": "ok", "pivot": "warn", "stop": "bad"}


def thresholds(request: Request) -> insights.Thresholds:
    return runtime_of(request).hypotheses


def evaluate(request: Request, uow: UnitOfWork, key: str) -> HypothesisEvaluation:
    """The epic's evaluation now, with its charts (the epic page)."""
    return insights.evaluate_hypothesis(uow, key, thresholds(request))


def card_keys(board: Board) -> list[str]:
    """The cards whose MVP is being tested (Implementing): their hypothesis is shown on the board."""
    return [card.key for column in board.columns if column.state == EpicState.IMPLEMENTING for card in column.cards]


def status_words(status: str) -> str:
    return status.replace("-", " ")


def last_day(window_end: datetime) -> str:
    """The window ends at the midnight after the last deadline: people think of the deadline's day."""
    return (window_end - timedelta(days=1)).date().isoformat()


def step_words(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def indicator_chart(indicator: IndicatorEvaluation) -> str | None:
    """The data behind an indicator: each metric of its query per step. None when nothing to draw."""
    lines = [Line(name=line.label, points=[(p.at, p.value) for p in line.points]) for line in indicator.chart]
    if not any(value is not None for line in lines for _, value in line.points):
        return None
    return line_option(lines)


def snapshot_json(evaluation: HypothesisEvaluation) -> str:
    """The evaluation a decision form carries back: what the person saw when deciding."""
    return insights.snapshot_of(evaluation).model_dump_json()


def template_helpers() -> dict[str, Any]:
    return {
        "status_badge": STATUS_BADGE,
        "advice_badge": ADVICE_BADGE,
        "status_words": status_words,
        "indicator_chart": indicator_chart,
        "step_words": step_words,
        "last_day": last_day,
    }


@router.get("/insights/hypotheses", response_class=HTMLResponse)
def hypotheses_page(request: Request, viewer: PageViewer) -> Response:
    """Every epic whose MVP is under test, its hypothesis evaluated now."""
    theta = thresholds(request)
    found = read(request, viewer, lambda uow: insights.hypotheses_in_test(uow, theta))
    return render(
        request,
        "insights_hypotheses.html",
        viewer,
        active="insights",
        evaluations=found,
        theta=theta,
        **template_helpers(),
    )
