"""Feedback to WSJF: epics whose outcomes diverge from the user-business value assumed when they were
scored get a re-score suggestion (the rule is `evaluation.rescore_advice`)."""

from __future__ import annotations

from digital_factory.core.schemas import copied
from digital_factory.insights import evaluation as formulas
from digital_factory.insights.evaluation import Rescore, Thresholds
from digital_factory.insights.hypotheses import evaluate_set
from digital_factory.insights.hypothesis_schemas import RescoreSuggestion
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicState
from digital_factory.store.uow import UnitOfWork

# where outcomes are being measured: the MVP and beyond
MEASURED_STATES = (EpicState.IMPLEMENTING, EpicState.DONE)


def rescore_suggestions(uow: UnitOfWork, theta: Thresholds) -> list[RescoreSuggestion]:
    """Epics in Implementing or Done with leading indicators whose evaluation diverges from their
    user-business value score, in key order."""
    suggestions = []
    for epic in portfolio.indicator_sets(uow, states=MEASURED_STATES):
        if not epic.indicators or epic.user_business_value is None:
            continue
        result = evaluate_set(uow, epic, theta, charts=False, samples=False)
        elapsed = 1.0
        if result.window_end is not None:
            elapsed = formulas.elapsed_share(epic.window_start, result.window_end, result.evaluated_at)
        advice = formulas.rescore_advice(epic.user_business_value, result.status, result.score, elapsed, theta)
        if advice is None:
            continue
        reason = _reason(advice, epic.user_business_value, result.score or 0.0, str(result.status))
        suggestions.append(
            copied(
                RescoreSuggestion,
                result,
                user_business_value=epic.user_business_value,
                suggestion=advice,
                reason=reason,
            )
        )
    return sorted(suggestions, key=lambda s: (len(s.epic), s.epic))


def _reason(advice: Rescore, value: int, score: float, status: str) -> str:
    if advice is Rescore.LOWER:
        return (
            f"user-business value {value} assumed high, but the hypothesis is {status.replace('-', ' ')} "
            f"(score {score:.2f}): consider a lower value"
        )
    return (
        f"user-business value {value} assumed low, but the hypothesis is validated early (score {score:.2f}): "
        "consider a higher value"
    )
