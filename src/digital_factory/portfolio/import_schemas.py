"""DTOs of importing epics and features: the format, row errors and the report."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from digital_factory.core.schemas import OutputModel


class ImportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class RowError(OutputModel):
    row: int = Field(description="1-based: the CSV line number (header = 1) or the JSON item's position.")
    ref: str | None
    field: str
    reason: str


class ImportedItem(OutputModel):
    row: int
    kind: str
    ref: str | None
    key: str | None = Field(description="The key given (null in a dry run).")
    title: str


class ImportReport(OutputModel):
    dry_run: bool
    skip_invalid: bool
    epics: int = Field(description="Epics created (or that would be).")
    features: int
    skipped: int
    items: list[ImportedItem]
    errors: list[RowError]
    ignored_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors
