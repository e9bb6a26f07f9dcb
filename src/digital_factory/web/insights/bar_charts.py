"""ECharts options for the insights dashboards, built on the server as plain JSON (`static/charts.js` draws
them with the product's theme): bars by category, one series per group. Every chart on these pages sits
beside a table of the same figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bars:
    """One series of a bar chart: its name and a value per category (None: no bar)."""

    name: str
    values: Sequence[float | None]


def bar_option(
    categories: Sequence[str], series: Sequence[Bars], *, stacked: bool = False, horizontal: bool = False
) -> str:
    """A bar chart option as the JSON `data-chart` holds; a legend only when there is more than one series."""
    category_axis: dict[str, Any] = {"type": "category", "data": list(categories), "axisLabel": {"hideOverlap": True}}
    value_axis: dict[str, Any] = {"type": "value", "minInterval": 1}
    option: dict[str, Any] = {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "confine": True},
        "grid": {"left": 8, "right": 24, "top": 36 if len(series) > 1 else 24, "bottom": 8, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [
            {
                "name": s.name,
                "type": "bar",
                "stack": "all" if stacked else None,
                "label": {"show": True, "position": "inside" if stacked else ("right" if horizontal else "top")},
                "data": [None if v is None else round(v, 2) for v in s.values],
            }
            for s in series
        ],
    }
    if len(series) > 1:
        option["legend"] = {"top": 0, "left": 0}
    return json.dumps(option, separators=(",", ":"))
