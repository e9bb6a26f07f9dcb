"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

from digital_factory.insights.attribution import attribute
from digital_factory.insights.bands import REPORT_YEARS
from digital_factory.insights.boardpack import SECTIONS, BoardPack, board_pack
from digital_factory.insights.boardpack_loop import PackPolicies
from digital_factory.insights.boardpack_period import Period, parse_period
from digital_factory.insights.boardpack_render import pack_filename, render_board_pack
from digital_factory.insights.dora import dora_report, service_levels
from digital_factory.insights.dora_figures import period_bounds
from digital_factory.insights.evaluation import Thresholds
from digital_factory.insights.flow import FlowQuery, cumulative_flow, flow_metrics
from digital_factory.insights.hypotheses import (
    CARD_MAX_AGE,
    CARDS_TOPIC,
    card_evaluations,
    decide_on_hypothesis,
    evaluate_hypothesis,
    hypotheses_in_test,
    key_results,
    snapshot_of,
)
from digital_factory.insights.leadtime import value_lead_time
from digital_factory.insights.loop import epic_loop, feature_loop
from digital_factory.insights.platform_health import Durations, VersionCount, durations, fleet_spread
from digital_factory.insights.valuestream import value_stream_map
from digital_factory.insights.wsjf_feedback import rescore_suggestions

__all__: list[str] = [
    "CARDS_TOPIC",
    "CARD_MAX_AGE",
    "REPORT_YEARS",
    "SECTIONS",
    "BoardPack",
    "Durations",
    "FlowQuery",
    "PackPolicies",
    "Period",
    "Thresholds",
    "VersionCount",
    "attribute",
    "board_pack",
    "card_evaluations",
    "cumulative_flow",
    "decide_on_hypothesis",
    "dora_report",
    "durations",
    "epic_loop",
    "evaluate_hypothesis",
    "feature_loop",
    "fleet_spread",
    "flow_metrics",
    "hypotheses_in_test",
    "key_results",
    "pack_filename",
    "parse_period",
    "period_bounds",
    "render_board_pack",
    "rescore_suggestions",
    "service_levels",
    "snapshot_of",
    "value_lead_time",
    "value_stream_map",
]
