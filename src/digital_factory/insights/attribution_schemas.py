"""Attribution DTOs: a KPI before and after each release, and flag-on against flag-off cohorts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from digital_factory.core.schemas import InputModel, OutputModel

COHORT_LABEL = "feature_flag.variant"
"""The event attribute that says which variant a customer was served (OpenTelemetry's feature-flag name)."""


class AttributionQuery(InputModel):
    """What to attribute: exactly one of feature, flag or service; the KPI as an indicator query whose window
    is one sample (e.g. `sum(business.units_sold[1d])`: units sold per day)."""

    feature: str | None = Field(None, max_length=40, description="A feature key: the releases of its flags.")
    flag: str | None = Field(None, max_length=100, description="A flag key: its releases.")
    service: str | None = Field(None, max_length=64, description="A service: its flag releases and prod deploys.")
    kpi: str = Field(
        max_length=1000, description="e.g. `sum(business.units_sold[1d])` or `avg(customer.csat.score[1d])`."
    )
    days: int = Field(14, ge=1, le=90, description="Days on each side of a release (equal windows).")
    environment: str | None = Field(None, max_length=40, description="Only releases in this environment.")
    cohort_label: str = Field(COHORT_LABEL, max_length=64, description="The event attribute naming the variant.")


class Comparison(OutputModel):
    """Sample b against sample a: b − a with Welch's interval, or only sizes and means when either side has
    fewer than `minimum_samples` (the verdict then says "not enough data")."""

    a: str = Field(description="What sample a is: before, or the off variant.")
    b: str = Field(description="What sample b is: after, or an on variant.")
    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    difference: float | None
    low: float | None
    high: float | None
    df: float | None = Field(description="Welch–Satterthwaite degrees of freedom.")
    confidence: float
    minimum_samples: int
    verdict: str = Field(description="not enough data, no clear difference, higher or lower.")


class ReleaseAttribution(OutputModel):
    """One release (a flag change customers notice, or a production deployment) and what the KPI did."""

    source: str = Field(description="flag or deployment")
    service: str
    environment: str
    flag: str | None
    feature: str | None
    summary: str
    at: datetime
    before_start: datetime
    before_end: datetime = Field(description="The release's clock hour begins: the hour itself is on no side.")
    after_start: datetime = Field(description="The next whole hour after the release (the release, if on one).")
    after_end: datetime = Field(description="The after window ends here: as many whole steps as have passed.")
    before_after: Comparison
    cohorts: list[Comparison] = Field(description="Each on variant against the off variant, after the release.")


class Attribution(OutputModel):
    subject: str
    kpi: str
    step_seconds: int = Field(description="One sample: the KPI's window, e.g. a day.")
    days: int
    cohort_label: str
    releases: list[ReleaseAttribution]
