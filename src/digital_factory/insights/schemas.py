"""Public DTOs of the insights domain, its face for schemas. The DTOs live in topic modules
(`<topic>_schemas.py`); this module is what other layers import."""

from __future__ import annotations

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
from digital_factory.insights.leadtime_schemas import EpicLeadTime, ExposedBy, FeatureLeadTime, ValueLeadTimes
from digital_factory.insights.valuestream_schemas import Stage, ValueStreamMap

__all__: list[str] = [
    "CfdDay",
    "CompletedItem",
    "CumulativeFlow",
    "EpicLeadTime",
    "ExposedBy",
    "FeatureLeadTime",
    "FlowMetrics",
    "FlowScope",
    "FlowState",
    "FlowType",
    "ScopeKind",
    "Stage",
    "TypeShare",
    "ValueLeadTimes",
    "ValueStreamMap",
]
