"""DTOs of strategic themes in OKR form."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from digital_factory.core.schemas import FromJson, InputModel, OutputModel
from digital_factory.portfolio.schema_types import Line, Text, checked_query


class KeyResultSpec(InputModel):
    description: Line
    metric_query: str | None = Field(None, description="Optional metric query that measures it.")
    baseline: float | None = Field(None, allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    unit: str = Field("", max_length=40)
    due: Annotated[date, FromJson] | None = None

    @field_validator("metric_query")
    @classmethod
    def _metric_query(cls, value: str | None) -> str | None:
        return checked_query(value, required=False)


class ThemeCreate(InputModel):
    objective: str = Field(min_length=1, max_length=300, description="The O of the OKR.")
    description: Text = ""
    key_results: list[KeyResultSpec] = Field(default_factory=list, max_length=10)
    valid_from: Annotated[date, FromJson] | None = None
    valid_to: Annotated[date, FromJson] | None = None

    @model_validator(mode="after")
    def _period(self) -> ThemeCreate:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class ThemeUpdate(InputModel):
    objective: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=4000)
    key_results: list[KeyResultSpec] | None = Field(None, max_length=10)
    valid_from: Annotated[date, FromJson] | None = None
    valid_to: Annotated[date, FromJson] | None = None
    archived: bool | None = None


class KeyResult(OutputModel):
    description: str
    metric_query: str | None
    baseline: float | None
    target: float
    unit: str
    due: date | None


class Theme(OutputModel):
    id: int
    key: str
    objective: str
    description: str
    key_results: list[KeyResult]
    valid_from: date | None
    valid_to: date | None
    archived: bool
    created_at: datetime
    epic_count: int = 0
