"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

from digital_factory.insights.bands import REPORT_YEARS
from digital_factory.insights.dora import dora_report, service_levels
from digital_factory.insights.dora_figures import period_bounds

__all__: list[str] = [
    "REPORT_YEARS",
    "dora_report",
    "period_bounds",
    "service_levels",
]
