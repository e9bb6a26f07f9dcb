"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

from digital_factory.insights.flow import FlowQuery, cumulative_flow, flow_metrics
from digital_factory.insights.leadtime import value_lead_time
from digital_factory.insights.valuestream import value_stream_map

__all__: list[str] = [
    "FlowQuery",
    "cumulative_flow",
    "flow_metrics",
    "value_lead_time",
    "value_stream_map",
]
