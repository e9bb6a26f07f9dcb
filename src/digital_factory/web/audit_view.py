"""The audit log made readable: each entry's change field by field, links to its object and actor, and
the door it came through in words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from digital_factory.accounts.schemas import AuditEntry

DOORS = {
    "web": "web",
    "api": "API token",
    "cli": "CLI",
    "git": "git",
    "demo": "demo",
    "system": "system",
}

_ABSENT = object()


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None  # None: the field was not there before
    after: str | None  # None: the field is gone after


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    door: str
    object_url: str | None
    actor_url: str | None
    changes: list[FieldChange]


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value) if value else "(none)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """The fields that differ, in a stable order: first those of `after`, then those only in `before`."""
    old, new = before or {}, after or {}
    keys = list(new) + [k for k in old if k not in new]
    out: list[FieldChange] = []
    for key in keys:
        was, now = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if was == now:
            continue
        out.append(
            FieldChange(
                field=key,
                before=None if was is _ABSENT else _show(was),
                after=None if now is _ABSENT else _show(now),
            )
        )
    return out


def _q(part: str) -> str:
    return quote(part, safe="")


def object_url(object_type: str, object_id: str | None) -> str | None:
    """Where the object of an entry lives in the web, when it has a page."""
    if not object_id:
        return None
    parts = object_id.split("/")
    first = _q(parts[0])
    simple = {
        "team": f"/teams/{first}",
        "service": f"/catalog/services/{first}",
        "repository": f"/catalog/services/{first}",
        "epic": f"/portfolio/epics/{first}",
        "feature": f"/product/features/{first}",
        "theme": "/portfolio/themes",
        "kanban": "/portfolio/settings",
        "pipeline_run": f"/delivery/runs/{first}",
        "template": "/platform",
        "user": "/admin/users",
        "domain": "/teams",
    }
    if object_type in simple:
        return simple[object_type]
    if object_type == "flag" and len(parts) == 2:
        return f"/releases/{first}/flags/{_q(parts[1])}"
    if object_type in {"secret", "segment"} and parts:
        return f"/catalog/services/{first}" if object_type == "secret" else f"/releases/{first}"
    return None


def audit_rows(entries: list[AuditEntry]) -> list[AuditRow]:
    return [
        AuditRow(
            entry=e,
            door=DOORS.get(e.origin, e.origin),
            object_url=object_url(e.object_type, e.object_id),
            actor_url=f"/admin/audit?actor={_q(e.actor_name)}",
            changes=field_changes(e.before, e.after),
        )
        for e in entries
    ]
