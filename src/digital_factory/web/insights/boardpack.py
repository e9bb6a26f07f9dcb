"""The board dashboard and the board pack download: the pack's sections as panels, one include a section
(`_insights_section_<block>.html`), all fed by one face call (`insights.board_pack`). A section another
topic adds to the pack shows here once its include exists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from digital_factory.insights import service as insights
from digital_factory.store.uow import UnitOfWork
from digital_factory.web.context import read, runtime
from digital_factory.web.insights.bar_charts import Bars, bar_option
from digital_factory.web.insights.hypotheses import ADVICE_BADGE, STATUS_BADGE
from digital_factory.web.pages import PageViewer
from digital_factory.web.rendering import TEMPLATES, render

router = APIRouter(include_in_schema=False)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _epics_chart(section: Any) -> str | None:
    if not section.per_state:
        return None
    return bar_option([s for s, _ in section.per_state], [Bars("epics", [n for _, n in section.per_state])])


CHARTS: dict[str, Callable[[Any], str | None]] = {"epics": _epics_chart}
"""A section's chart (ECharts option JSON) by its block; sections without one show their table only."""


def policies(request: Request) -> insights.PackPolicies:
    """The pack read with the server's settings, as the DORA and hypothesis pages are."""
    running = runtime(request)
    return insights.PackPolicies(dora=running.dora, theta=running.hypotheses)


def _include(block: str) -> str | None:
    name = f"_insights_section_{block}.html"
    return name if name in TEMPLATES.env.list_templates() else None


@router.get("/insights/board", response_class=HTMLResponse)
def board(request: Request, viewer: PageViewer, period: str | None = None) -> Response:
    def gather(uow: UnitOfWork) -> dict[str, Any]:
        pack = insights.board_pack(uow, period or quarter_of(uow.clock.now().date()), policies(request))
        panels = [(s, _include(s.block), CHARTS.get(s.block, lambda _: None)(s)) for s in pack.sections]
        return {"pack": pack, "panels": panels, "status_badge": STATUS_BADGE, "advice_badge": ADVICE_BADGE}

    return render(request, "insights_board.html", viewer, active="insights", **read(request, viewer, gather))


@router.get("/insights/board-pack.html")
def download(request: Request, viewer: PageViewer, period: str) -> Response:
    """The pack as the self-contained file the API and `factory report board` give."""
    pack = read(request, viewer, lambda uow: insights.board_pack(uow, period, policies(request)))
    return Response(
        insights.render_board_pack(pack),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{insights.pack_filename(pack)}"'},
    )
