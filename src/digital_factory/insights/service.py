"""The insights domain's face for use-cases: the topic modules stand behind it; edges import only this,
`schemas` and `events`."""

from __future__ import annotations

__all__: list[str] = []
