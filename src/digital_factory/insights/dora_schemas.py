"""DORA's DTOs: the five figures with their sample sizes and bands, per scope and period, with trend buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from digital_factory.core.schemas import OutputModel

# the definitions the figures follow (docs/insights.md, "DORA"): bumped when a formula changes
DORA_DEFINITIONS = "dora-2024.1"


class DoraBand(StrEnum):
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class DoraScope(StrEnum):
    ORG = "org"
    SERVICE = "service"
    TEAM = "team"
    VALUE_STREAM = "value_stream"
    EPIC = "epic"
    FEATURE = "feature"


class DoraBucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class DoraPolicy:
    """The settings DORA reads: the report year of the band table, and whether rollbacks count as
    (rework) deployments or are left out of every figure."""

    bands: int = 2024
    count_rollbacks: bool = True


class DoraFigure(OutputModel):
    """One metric: its value (None without a sample), the unit, how many items it rests on, its band."""

    value: float | None
    unit: str
    sample_size: int
    band: DoraBand | None = None


class LeadTimeFigure(DoraFigure):
    """The median lead time; `p85` beside it; `ignored`: changes with a lead time <= 0 (clock skew, back-dated
    commits), counted but left out of the median as Four Keys does."""

    p85: float | None = None
    ignored: int = 0


class FrequencyFigure(DoraFigure):
    """Deployments per day; `cadence` the typical rhythm the band is judged on."""

    deployments: int = 0
    cadence: str | None = None


class FailRateFigure(DoraFigure):
    """Deployments that needed intervention / production deployments (`sample_size`)."""

    failed: int = 0


class RecoveryFigure(DoraFigure):
    """The median time from detection to recovery of failed deployments; `unrecovered`: failures still open."""

    unrecovered: int = 0


class ReworkFigure(DoraFigure):
    rework: int = 0


class DoraFigures(OutputModel):
    deployment_frequency: FrequencyFigure
    change_lead_time: LeadTimeFigure
    change_fail_rate: FailRateFigure
    failed_deployment_recovery_time: RecoveryFigure
    deployment_rework_rate: ReworkFigure
    unlinked_incidents: int = Field(description="Production incidents in the period with no deployment as cause.")
    level: DoraBand | None = Field(
        None, description="The four banded levels' common band when they all agree; None otherwise."
    )


class DoraTrendPoint(OutputModel):
    start: datetime
    end: datetime
    figures: DoraFigures


class ServiceDora(OutputModel):
    service: str
    figures: DoraFigures


class DoraReport(OutputModel):
    scope: DoraScope
    key: str | None
    start: datetime
    end: datetime
    bucket: DoraBucket
    bands: int = Field(description="The report year of the band table.")
    definitions: str = DORA_DEFINITIONS
    count_rollbacks: bool
    services: list[str]
    figures: DoraFigures
    by_service: list[ServiceDora]
    trend: list[DoraTrendPoint]
