"""DTOs of value lead time: from an epic's approval (it entered Implementing) to customers first exposed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from digital_factory.core.schemas import OutputModel


class ExposedBy(StrEnum):
    FLAG = "flag"
    DEPLOYMENT = "deployment"


class FeatureLeadTime(OutputModel):
    """A feature's first exposure to customers: a release turning its flag on (or rolling it out) in
    production, or the first production deployment of a change naming it, whichever came first."""

    feature: str
    exposed_at: datetime | None
    exposed_by: ExposedBy | None
    via: str | None
    lead_time_seconds: float | None


class EpicLeadTime(OutputModel):
    """An epic's value lead time: approved (first entered Implementing) to its first feature exposed, and
    to all of its features exposed (None until every one is)."""

    epic: str
    approved_at: datetime | None
    first_exposed_at: datetime | None
    all_exposed_at: datetime | None
    to_first_seconds: float | None
    to_all_seconds: float | None
    features: list[FeatureLeadTime]


class ValueLeadTimes(OutputModel):
    epics: list[EpicLeadTime]
    to_first_median_seconds: float | None
    to_first_sample: int
