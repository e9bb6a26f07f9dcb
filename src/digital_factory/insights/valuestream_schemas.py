"""DTOs of the value stream map: idea to production in stages, waiting versus active time per stage."""

from __future__ import annotations

from digital_factory.core.schemas import OutputModel


class Stage(OutputModel):
    """One stage: medians over its samples (epics, features or changes) of the time waiting, active and
    in all; None with a sample size of 0 when nothing passed through it."""

    key: str
    label: str
    level: str
    waiting_median_seconds: float | None
    active_median_seconds: float | None
    total_median_seconds: float | None
    sample: int
    slowest: bool = False


class ValueStreamMap(OutputModel):
    scope: str
    key: str
    stages: list[Stage]
    total_median_seconds: float
    waiting_share: float | None
