"""Durations as people read them on pages, in the CLI and in the board pack."""

from __future__ import annotations

HOUR = 3600.0
DAY = 24 * HOUR


def elapsed(seconds: float | None, missing: str = "-") -> str:
    """The largest sensible unit: 45 min, 6.0 h (under two days), 2.5 d; `missing` without a value."""
    if seconds is None:
        return missing
    if seconds < HOUR:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / DAY:.1f} d"
