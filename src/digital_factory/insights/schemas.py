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

__all__: list[str] = [
    "COHORT_LABEL",
    "Attribution",
    "AttributionQuery",
    "Comparison",
    "ReleaseAttribution",
]
