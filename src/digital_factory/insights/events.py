"""Insights events: what higher domains (platform's scorecards) may react to."""

from __future__ import annotations

__all__: list[str] = []
