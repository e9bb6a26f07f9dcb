"""Public DTOs of the insights domain, its face for schemas. The DTOs live in topic modules
(`<topic>_schemas.py`); this module is what other layers import."""

from __future__ import annotations

from digital_factory.insights.attribution_schemas import (
    COHORT_LABEL,
    Attribution,
    AttributionQuery,
    Comparison,
    ReleaseAttribution,
)
from digital_factory.insights.evaluation import Advice, HypothesisStatus, IndicatorStatus, Rescore
from digital_factory.insights.flow_schemas import (
    CfdDay,
    CompletedItem,
    CumulativeFlow,
    FlowMetrics,
    FlowScope,
    FlowState,
    FlowType,
    ScopeKind,
    TypeShare,
)
from digital_factory.insights.hypothesis_schemas import (
    CardEvaluation,
    ChartLine,
    ChartPoint,
    HypothesisDecision,
    HypothesisEvaluation,
    IndicatorEvaluation,
    KeyResultValue,
    RescoreSuggestion,
    ThemeKeyResults,
)
from digital_factory.insights.leadtime_schemas import EpicLeadTime, ExposedBy, FeatureLeadTime, ValueLeadTimes
from digital_factory.insights.valuestream_schemas import Stage, ValueStreamMap

__all__: list[str] = [
    "COHORT_LABEL",
    "Advice",
    "Attribution",
    "AttributionQuery",
    "CardEvaluation",
    "CfdDay",
    "ChartLine",
    "ChartPoint",
    "Comparison",
    "CompletedItem",
    "CumulativeFlow",
    "EpicLeadTime",
    "ExposedBy",
    "FeatureLeadTime",
    "FlowMetrics",
    "FlowScope",
    "FlowState",
    "FlowType",
    "HypothesisDecision",
    "HypothesisEvaluation",
    "HypothesisStatus",
    "IndicatorEvaluation",
    "IndicatorStatus",
    "KeyResultValue",
    "ReleaseAttribution",
    "Rescore",
    "RescoreSuggestion",
    "ScopeKind",
    "Stage",
    "ThemeKeyResults",
    "TypeShare",
    "ValueLeadTimes",
    "ValueStreamMap",
]
