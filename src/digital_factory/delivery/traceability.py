"""Work item keys in commit messages: the link from a change to the feature (and through it the epic).

Pure. A key is a known prefix, a dash and a number (`FEAT-12`, `EPIC-3`, `STORY-40`), or an incident key
(`INC-7`, which marks the change as a fix for that incident). Only the known prefixes count, so `UTF-8`
or `SHA-256` in a message are not taken for work items.
"""

from __future__ import annotations

import re

WORK_ITEM_PREFIXES = ("EPIC", "FEAT", "STORY")
INCIDENT_PREFIX = "INC"
_KEY = re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join((*WORK_ITEM_PREFIXES, INCIDENT_PREFIX)) + r")-([1-9][0-9]{0,9})\b")


def item_keys(message: str) -> list[str]:
    """Every distinct key in `message`, in order of first mention (case-insensitive prefix)."""
    found: list[str] = []
    for match in _KEY.finditer(message.upper()):
        key = f"{match.group(1)}-{match.group(2)}"
        if key not in found:
            found.append(key)
    return found


def work_items(keys: list[str]) -> list[str]:
    return [key for key in keys if not key.startswith(INCIDENT_PREFIX + "-")]


def incidents(keys: list[str]) -> list[str]:
    return [key for key in keys if key.startswith(INCIDENT_PREFIX + "-")]
