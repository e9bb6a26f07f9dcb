"""Public DTOs of the insights domain, its face for schemas. The DTOs live in topic modules
(`<topic>_schemas.py`); this module is what other layers import."""

from __future__ import annotations

from digital_factory.insights.dora_schemas import (
    DORA_DEFINITIONS,
    DoraBand,
    DoraBucket,
    DoraFigure,
    DoraFigures,
    DoraPolicy,
    DoraReport,
    DoraScope,
    DoraTrendPoint,
    FailRateFigure,
    FrequencyFigure,
    LeadTimeFigure,
    RecoveryFigure,
    ReworkFigure,
    ServiceDora,
)

__all__: list[str] = [
    "DORA_DEFINITIONS",
    "DoraBand",
    "DoraBucket",
    "DoraFigure",
    "DoraFigures",
    "DoraPolicy",
    "DoraReport",
    "DoraScope",
    "DoraTrendPoint",
    "FailRateFigure",
    "FrequencyFigure",
    "LeadTimeFigure",
    "RecoveryFigure",
    "ReworkFigure",
    "ServiceDora",
]
