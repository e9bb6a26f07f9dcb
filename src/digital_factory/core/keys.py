"""Human keys (`EPIC-12`) for the things people talk about."""

from __future__ import annotations

import re

from digital_factory.core.errors import ValidationFailed

_KEY = re.compile(r"^([A-Z][A-Z0-9]{1,9})-([1-9][0-9]{0,9})$")


def format_key(prefix: str, number: int) -> str:
    return f"{prefix}-{number}"


def parse_key(key: str, *, expected_prefix: str | None = None) -> tuple[str, int]:
    match = _KEY.match(key.strip().upper())
    if match is None:
        raise ValidationFailed.on("key", f"{key!r} is not a key like EPIC-12")
    prefix, number = match.group(1), int(match.group(2))
    if expected_prefix is not None and prefix != expected_prefix:
        raise ValidationFailed.on("key", f"{key!r} is not a {expected_prefix} key")
    return prefix, number
