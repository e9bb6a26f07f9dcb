"""ECharts options for the telemetry pages, built on the server as plain JSON (`static/charts.js` draws them
with the SVG renderer and the product's theme). Times are epoch milliseconds on a time axis."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digital_factory.telemetry.schemas import RangeResult, RangeSeries

Value = float | None
FEW_POINTS = 12  # a line with at most this many values shows its points


@dataclass(frozen=True)
class Line:
    """One line of a chart: its name and a value per moment (None: a gap)."""

    name: str
    points: list[tuple[datetime, Value]]


def lines_of(
    result: RangeResult, label: str | None = None, scale: Callable[[Value], Value] = lambda v: v
) -> list[Line]:
    """The lines of a range query, named by the value of `label` (or the metric), values passed through `scale`."""
    return [
        Line(
            name=(series.labels.get(label or "") or result.metric),
            points=[(p.at, scale(p.value)) for p in series.points],
        )
        for series in result.series
    ]


def by_label(result: RangeResult, label: str) -> dict[str, RangeSeries]:
    return {series.labels.get(label, ""): series for series in result.series}


def rounded(value: Value, digits: int = 3) -> Value:
    """A figure as the chart and the tables show it: at most `digits` decimals."""
    return None if value is None else round(value, digits)


def line_option(lines: Sequence[Line], *, compact: bool = False) -> str:
    """A line chart option as the JSON `data-chart` holds: one series per line, gaps where there is no value,
    times in UTC as the pages state them. The unit is in the chart's caption (a y-axis name would sit under
    the legend). A line with few values shows its points, so a lone value is not an invisible dot."""
    option: dict[str, Any] = {
        "animation": False,
        "useUTC": True,
        "tooltip": {"trigger": "axis", "confine": True},
        "grid": {"left": 8, "right": 16, "top": 12 if compact else 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "time", "splitNumber": 3 if compact else 6, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "splitNumber": 3 if compact else 5},
        "series": [
            {
                "name": line.name,
                "type": "line",
                "showSymbol": sum(value is not None for _, value in line.points) <= FEW_POINTS,
                "connectNulls": False,
                "data": [[int(at.timestamp() * 1000), rounded(value)] for at, value in line.points],
            }
            for line in lines
        ],
    }
    if not compact:
        option["legend"] = {"type": "scroll", "top": 0, "left": 0, "right": 16}
    return json.dumps(option, separators=(",", ":"))
