"""Deploy windows: weekly UTC time ranges in which a gated deployment may start. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def is_open(now: datetime, windows: list[dict[str, Any]]) -> bool:
    """True without windows, else when `now` (UTC) falls in one of them."""
    if not windows:
        return True
    minute = now.hour * 60 + now.minute
    for window in windows:
        if now.weekday() in window["days"] and _minutes(window["start"]) <= minute < _minutes(window["end"]):
            return True
    return False


def describe(windows: list[dict[str, Any]]) -> str:
    if not windows:
        return "any time"
    parts = []
    for window in windows:
        days = ",".join(DAY_NAMES[d] for d in sorted(window["days"]))
        parts.append(f"{days} {window['start']}-{window['end']} UTC")
    return "; ".join(parts)


def problems(windows: list[dict[str, Any]]) -> list[str]:
    return [
        f"window {i + 1}: end {w['end']} is not after start {w['start']}"
        for i, w in enumerate(windows)
        if _minutes(w["end"]) <= _minutes(w["start"])
    ]
