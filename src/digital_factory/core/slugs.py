"""Slugs: the short, stable, URL-safe names of teams, services and the like."""

from __future__ import annotations

import re

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,62}[a-z0-9]$"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A slug suggested from a human name ("Better Engines!" -> "better-engines")."""
    slug = _NOT_SLUG.sub("-", text.lower()).strip("-")
    return slug[:64].rstrip("-") or "item"
