"""Reporting periods, pure: `2026-Q4`, `2026-11` or `2026`, as the half-open span of dates they cover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from digital_factory.core.errors import ValidationFailed

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True)
class Period:
    """A named span of days: from `start` (inclusive) to `end` (exclusive)."""

    name: str
    start: date
    end: date


def parse_period(text: str, field: str = "period") -> Period:
    """The period `text` names; ValidationFailed on `field` saying the forms accepted."""
    cleaned = text.strip().upper()
    if found := _QUARTER.match(cleaned):
        year, quarter = int(found[1]), int(found[2])
        start = date(_year(year, field), 3 * quarter - 2, 1)
        return Period(cleaned, start, _next_month(start, 3))
    if found := _MONTH.match(cleaned):
        start = date(_year(int(found[1]), field), int(found[2]), 1)
        return Period(cleaned, start, _next_month(start, 1))
    if found := _YEAR.match(cleaned):
        year = _year(int(found[1]), field)
        return Period(cleaned, date(year, 1, 1), date(year + 1, 1, 1))
    raise ValidationFailed.on(
        field, f"{text!r} is not a period: write a quarter (2026-Q4), a month (2026-11) or a year (2026)"
    )


def _year(year: int, field: str) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationFailed.on(field, f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return year


def _next_month(start: date, months: int) -> date:
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, 1)
