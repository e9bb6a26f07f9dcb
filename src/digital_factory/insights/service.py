"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

from digital_factory.insights.evaluation import Thresholds
from digital_factory.insights.hypotheses import (
    card_evaluations,
    decide_on_hypothesis,
    evaluate_hypothesis,
    hypotheses_in_test,
    key_results,
    snapshot_of,
)
from digital_factory.insights.wsjf_feedback import rescore_suggestions

__all__: list[str] = [
    "Thresholds",
    "card_evaluations",
    "decide_on_hypothesis",
    "evaluate_hypothesis",
    "hypotheses_in_test",
    "key_results",
    "rescore_suggestions",
    "snapshot_of",
]
