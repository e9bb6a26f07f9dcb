"""Public DTOs of the releases domain: flags, their per-environment configuration, changes, releases,
segments, client keys and evaluation counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, JsonValue, field_validator, model_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.releases import evaluation

FLAG_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
VARIANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SEGMENT_KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
FEATURE_KEY_PATTERN = r"^[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9}$"
ATTRIBUTE_PATTERN = r"^[A-Za-z_$][A-Za-z0-9_.$:-]{0,99}$"
MAX_VARIANTS = 20

Scalar = str | bool | int | float


class FlagType(StrEnum):
    """OpenFeature's value types. Integer and float are distinct because SDKs type-check them
    (a float flag is always served as a JSON float, e.g. `1.0`)."""

    BOOLEAN = "boolean"
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    OBJECT = "object"


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    SEMVER_EQ = "semver_eq"
    SEMVER_GT = "semver_gt"
    SEMVER_GTE = "semver_gte"
    SEMVER_LT = "semver_lt"
    SEMVER_LTE = "semver_lte"
    IN_SEGMENT = "in_segment"
    NOT_IN_SEGMENT = "not_in_segment"


class ChangeStatus(StrEnum):
    PENDING = "pending"  # waits for an approver
    SCHEDULED = "scheduled"  # approved (or needing none), waits for its time
    APPLIED = "applied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    FAILED = "failed"  # no longer valid when its time came


# --- targeting --------------------------------------------------------------------------------------


class Condition(InputModel):
    """`attribute operator values`; segment operators take segment keys and no attribute."""

    attribute: str | None = Field(None, pattern=ATTRIBUTE_PATTERN, description="Context attribute; dots reach in.")
    operator: Annotated[Operator, FromJson]
    values: list[Scalar] = Field(min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> Condition:
        operator = str(self.operator)
        if operator in evaluation.SEGMENT_OPERATORS:
            if self.attribute is not None:
                raise ValueError(f"{operator} takes segment keys in values and no attribute")
            if not all(isinstance(v, str) for v in self.values):
                raise ValueError(f"{operator} values must be segment keys")
            return self
        if self.attribute is None:
            raise ValueError(f"{operator} needs an attribute")
        if operator in evaluation.SINGLE_VALUE_OPERATORS and len(self.values) != 1:
            raise ValueError(f"{operator} takes exactly one value")
        if operator in evaluation.NUMERIC_OPERATORS and not (
            isinstance(self.values[0], int | float) and not isinstance(self.values[0], bool)
        ):
            raise ValueError(f"{operator} compares numbers: its value must be a number")
        if operator in evaluation.SEMVER_OPERATORS and (
            not isinstance(self.values[0], str) or evaluation.semver_key(self.values[0]) is None
        ):
            raise ValueError(f"{operator} needs a version such as 2.1.0 (got {self.values[0]!r})")
        if operator in evaluation.TEXT_OPERATORS and not all(isinstance(v, str) and v for v in self.values):
            raise ValueError(f"{operator} values must be non-empty strings")
        return self


def two_decimals(percent: float) -> float:
    """A share of targeting keys is counted in basis points: 0.01 % is one bucket."""
    if not math.isclose(percent * 100, round(percent * 100), abs_tol=1e-6):
        raise ValueError("percent takes at most two decimals (0.01 % is one bucket)")
    return percent


class Split(InputModel):
    variant: str = Field(pattern=VARIANT_PATTERN)
    percent: float = Field(ge=0, le=100, description="Share of targeting keys, at most two decimals.")

    @model_validator(mode="after")
    def _two_decimals(self) -> Split:
        two_decimals(self.percent)
        return self


class Serve(InputModel):
    """Exactly one of: a fixed variant, or a rollout over variants whose percentages add up to 100."""

    variant: str | None = Field(None, pattern=VARIANT_PATTERN)
    rollout: list[Split] | None = Field(None, min_length=1, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _one_kind(self) -> Serve:
        if (self.variant is None) == (self.rollout is None):
            raise ValueError("give either a variant or a rollout")
        if self.rollout is not None:
            names = [s.variant for s in self.rollout]
            if len(set(names)) != len(names):
                raise ValueError("a rollout names each variant once")
            total = sum(evaluation.basis_points(s.percent) for s in self.rollout)
            if total != evaluation.BUCKETS:
                raise ValueError(f"rollout percentages must add up to 100 (they add up to {total / 100:g})")
        return self

    def describe(self) -> str:
        if self.rollout is None:
            return str(self.variant)
        return " / ".join(f"{s.percent:g}% {s.variant}" for s in self.rollout)


class Rule(InputModel):
    name: str = Field("", max_length=100)
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    serve: Serve


class FlagConfig(InputModel):
    """A flag's configuration in one environment."""

    enabled: bool = Field(description="Off (the kill switch) serves the off variant to everyone.")
    off_variant: str = Field(pattern=VARIANT_PATTERN)
    default: Serve = Field(description="What an enabled flag serves when no rule matches.")
    rules: list[Rule] = Field(default_factory=list, max_length=100, description="First match wins.")


class FlagChange(InputModel):
    """A change to a flag's configuration in one environment: only the fields given change."""

    enabled: bool | None = None
    off_variant: str | None = Field(None, pattern=VARIANT_PATTERN)
    default: Serve | None = None
    rules: list[Rule] | None = Field(None, max_length=100)
    at: Annotated[datetime, FromJson] | None = Field(None, description="Apply at this time (scheduled change).")
    reason: str = Field("", max_length=1000)

    @model_validator(mode="after")
    def _changes_something(self) -> FlagChange:
        if self.enabled is None and self.off_variant is None and self.default is None and self.rules is None:
            raise ValueError("give at least one of enabled, off_variant, default, rules")
        return self

    def patch(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"at", "reason"}, exclude_none=True)


class RolloutRequest(InputModel):
    """Roll a variant out to a share of targeting keys; everyone else gets the off variant. Turns the flag on."""

    percent: float = Field(ge=0, le=100, description="Share of targeting keys, at most two decimals.")
    variant: str | None = Field(
        None, pattern=VARIANT_PATTERN, description="The variant to roll out (default: the flag's default variant)."
    )
    reason: str = Field("", max_length=1000)

    @field_validator("percent")
    @classmethod
    def _two_decimals(cls, percent: float) -> float:
        return two_decimals(percent)


# --- flags -------------------------------------------------------------------------------------------


class FlagCreate(InputModel):
    key: str = Field(pattern=FLAG_KEY_PATTERN, description="The key SDKs ask for, e.g. `heavy-lift-mode`.")
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    type: Annotated[FlagType, FromJson] = FlagType.BOOLEAN
    variants: dict[str, JsonValue] | None = Field(
        None, description="Name -> value. Omitted for boolean flags: on = true, off = false."
    )
    default_variant: str | None = Field(
        None, pattern=VARIANT_PATTERN, description="Served when on and no rule matches (boolean: on; else first)."
    )
    off_variant: str | None = Field(
        None, pattern=VARIANT_PATTERN, description="Served when off (boolean: off; else the first variant)."
    )
    feature: str | None = Field(None, pattern=FEATURE_KEY_PATTERN, description="The feature it releases, FEAT-12.")


class FlagUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    feature: str | None = Field(None, pattern=FEATURE_KEY_PATTERN, description="null unlinks.")
    variants: dict[str, JsonValue] | None = Field(
        None, description="The full set: new names are added, unused ones may go; values never change."
    )


class EnvironmentState(OutputModel):
    environment: str
    position: int
    approval_roles: list[str]
    config: FlagConfig
    version: int
    updated_at: datetime | None
    updated_by: str | None
    summary: str
    exposure: float


class Flag(OutputModel):
    id: int
    service: str
    key: str
    name: str
    description: str
    type: FlagType
    variants: dict[str, JsonValue]
    default_variant: str
    off_variant: str
    feature: str | None
    created_at: datetime
    created_by: str
    archived_at: datetime | None
    environments: list[EnvironmentState] = Field(default_factory=list)

    def state(self, environment: str) -> EnvironmentState:
        return next(s for s in self.environments if s.environment == environment)


# --- segments ----------------------------------------------------------------------------------------


class SegmentSpec(InputModel):
    key: str = Field(pattern=SEGMENT_KEY_PATTERN)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    included: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(default_factory=list, max_length=10_000)
    excluded: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(default_factory=list, max_length=10_000)
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    reason: str = Field("", max_length=1000)
    at: Annotated[datetime, FromJson] | None = None

    @model_validator(mode="after")
    def _plain_conditions(self) -> SegmentSpec:
        if any(str(c.operator) in evaluation.SEGMENT_OPERATORS for c in self.conditions):
            raise ValueError("a segment's conditions cannot refer to other segments")
        if not self.included and not self.conditions:
            raise ValueError("a segment needs included keys or conditions")
        return self

    def definition(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include={"included", "excluded", "conditions"})


class Segment(OutputModel):
    key: str
    service: str
    environment: str
    name: str
    description: str
    included: list[str]
    excluded: list[str]
    conditions: list[Condition]
    version: int
    updated_at: datetime
    updated_by: str
    used_by: list[str] = Field(default_factory=list, description="Flags whose rules refer to it.")


# --- changes and releases ----------------------------------------------------------------------------


class Change(OutputModel):
    key: str
    service: str
    environment: str
    subject: str
    flag: str | None
    segment: str | None
    change: dict[str, Any]
    reason: str
    status: ChangeStatus
    requested_by: str
    requested_at: datetime
    due_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    note: str
    applied_at: datetime | None
    release_id: int | None
    failure: str | None
    approval_roles: list[str] = Field(default_factory=list)
    summary: str = ""


class ChangeFilter(InputModel):
    status: Annotated[ChangeStatus, FromJson] | None = None
    service: str | None = None
    environment: str | None = None
    flag: str | None = None


class Decision(InputModel):
    note: str = Field("", max_length=1000)


class Kill(InputModel):
    reason: str = Field("", max_length=1000)


class Release(OutputModel):
    id: int
    service: str
    environment: str
    flag: str
    feature: str | None
    kind: str
    summary: str
    before: dict[str, Any]
    after: dict[str, Any]
    exposure_before: float | None
    exposure_after: float | None
    requested_by: str
    approved_by: str | None
    change: str | None
    at: datetime


class ReleaseFilter(InputModel):
    service: str | None = None
    environment: str | None = None
    flag: str | None = None
    feature: str | None = None


# --- client keys ---------------------------------------------------------------------------------------


class ClientKeyCreate(InputModel):
    environment: str
    name: str = Field("default", min_length=1, max_length=100)


class ClientKey(OutputModel):
    public_id: str
    service: str
    environment: str
    name: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedClientKey(OutputModel):
    key: ClientKey
    secret: str = Field(description="The client key for OFREP. Shown once; only its digest is stored.")


# --- evaluation -----------------------------------------------------------------------------------------


class PreviewRequest(InputModel):
    context: dict[str, JsonValue] = Field(default_factory=dict)
    environment: str | None = Field(None, description="Only this environment (default: all).")
    draft: FlagConfig | None = Field(None, description="Evaluate this unsaved configuration instead.")


class PreviewResult(OutputModel):
    environment: str
    variant: str | None
    value: JsonValue = None
    reason: str
    error_code: str | None = None
    error_details: str | None = None
    rule: int | None = None
    bucket: int | None = Field(None, description="The targeting key's bucket 0..9999 for this flag.")
    draft: bool = False


class VariantCount(OutputModel):
    variant: str
    count: int


class HourCount(OutputModel):
    hour: datetime
    variant: str
    count: int


class EvaluationCounts(OutputModel):
    flag: str
    environment: str
    since: datetime
    totals: list[VariantCount]
    hours: list[HourCount]


# --- when customers first got a feature (a bulk read for insights) ---------------------------------------


@dataclass(frozen=True, slots=True)
class FeatureExposure:
    """The first applied change that exposed a feature (its flag turned on or rolled out to some share)
    in its service's production environment (the last in promotion order)."""

    feature: str
    at: datetime
    service: str
    environment: str
    flag: str
    exposure: float
