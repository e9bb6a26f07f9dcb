"""Public DTOs of the insights domain, its face for schemas. The DTOs live in topic modules
(`<topic>_schemas.py`); this module is what other layers import."""

from __future__ import annotations

__all__: list[str] = []
