"""Reading untrusted webhook payloads: every field is looked up by a dotted path and checked for its type, so
a missing or wrong field is a 400 naming that field, never an exception from deep inside a mapping.

Pure (no I/O). `Malformed` is the one error; `Inbound` is what a parser makes of a delivery."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from digital_factory.core.errors import FieldProblem, ValidationFailed
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    Origin,
    OutsideChange,
    OutsideDeployment,
    OutsideIncident,
    OutsideRun,
)

Record = OutsideChange | OutsideRun | OutsideDeployment | OutsideIncident
_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")


class Malformed(ValidationFailed):
    """A delivery of a known event whose body is not what that event carries (answered 400)."""

    code = "malformed-payload"
    title = "Malformed webhook payload"


def malformed(field_name: str, reason: str) -> Malformed:
    return Malformed(f"{field_name}: {reason}", [FieldProblem(field_name, reason)])


@dataclass
class Inbound:
    """One delivery understood: its id at the sender, its event, the names a mapping may match (most specific
    first) and the records it makes (possibly none: a deleted ref). `ignored` says why the factory does not
    interpret this delivery at all (an event type it does not map, a ping, a custom CDEvent)."""

    delivery_id: str
    event: str
    subjects: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    ignored: str | None = None
    summary: str = ""


Mapper = Callable[[dict[str, Any], Inbound], None]


def mapped(
    mappers: Mapping[str, Mapper], sender: str, event: str, delivery_id: str, body: bytes, *, subject: str | None
) -> Inbound:
    """A delivery of a sender that names its event in a header: the event's mapper reads the JSON body, whose
    field at the dotted path `subject` (None: none) is the name a mapping may match. Unmapped: ignored."""
    mapper = mappers.get(event)
    if mapper is None:
        return Inbound(
            delivery_id=delivery_id, event=clip(event, 120), ignored=f"{sender} event {event!r} is not mapped"
        )
    payload = obj(parse_json(body), "")
    inbound = Inbound(delivery_id=delivery_id, event=event, subjects=[text(payload, subject)] if subject else [])
    mapper(payload, inbound)
    return inbound


@contextmanager
def within(prefix: str) -> Iterator[None]:
    """Name the fields of a nested object read inside the block by their full path (`commits.0.id`)."""
    try:
        yield
    except Malformed as exc:
        problems = [FieldProblem(f"{prefix}.{p.field}", p.reason) for p in exc.problems]
        raise Malformed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems) from None


def parse_json(body: bytes, where: str = "body") -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise malformed(where, "is not UTF-8 JSON") from None


def _walk(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if node is None:
            return None
        if not isinstance(node, dict):
            raise malformed(path, "is unreachable: its parent is not a JSON object")
        node = node.get(part)
    return node


def obj(data: Any, path: str) -> dict[str, Any]:
    value = _walk(data, path) if path else data
    if not isinstance(value, dict):
        raise malformed(path or "body", "must be a JSON object")
    return value


def _optional(data: Any, path: str, kind: type[_T], expected: str) -> _T | None:
    value = _walk(data, path)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise malformed(path, expected)
    return value


def opt_obj(data: Any, path: str) -> dict[str, Any] | None:
    return _optional(data, path, dict, "must be a JSON object")


def items(data: Any, path: str) -> list[Any]:
    return _optional(data, path, list, "must be a JSON array") or []


def text(data: Any, path: str) -> str:
    value = opt_text(data, path)
    if value is None or not value:
        raise malformed(path, "is required (a non-empty string)")
    return value


def opt_text(data: Any, path: str) -> str | None:
    value = _walk(data, path)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise malformed(path, "must be a string")
    return str(value)


def flag(data: Any, path: str) -> bool:
    return _optional(data, path, bool, "must be true or false") or False


def when(data: Any, path: str) -> datetime:
    value = opt_when(data, path)
    if value is None:
        raise malformed(path, "is required (an RFC 3339 time)")
    return value


def opt_when(data: Any, path: str) -> datetime | None:
    raw = opt_text(data, path)
    if not raw:
        return None
    return timestamp(raw, path)


def timestamp(raw: str, where: str) -> datetime:
    """RFC 3339 (and GitLab's `2021-04-08 12:52:09 UTC`); naive times are taken as UTC."""
    cleaned = raw.strip().replace(" UTC", "Z")
    if len(cleaned) >= 19 and cleaned[10] == " ":
        cleaned = cleaned[:10] + "T" + cleaned[11:]
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00").replace(" +", "+").replace(" -", "-"))
    except ValueError:
        raise malformed(where, f"{raw[:40]!r} is not a time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build(model: type[_M], where: str, **values: Any) -> _M:
    """A delivery DTO from payload values; what the DTO refuses is the payload's problem (400)."""
    try:
        return model(**values)
    except ValidationError as exc:
        problems = [FieldProblem(".".join(filter(None, (where, *map(str, e["loc"])))), e["msg"]) for e in exc.errors()]
        raise Malformed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems) from None


def clip(value: str, limit: int) -> str:
    return value.replace("\x00", "")[:limit]


def commit_change(commit: dict[str, Any], merged_at: datetime | None = None) -> OutsideChange:
    """A pushed commit as GitHub and GitLab both describe it (`id`, `author`, `timestamp`, `message`)."""
    at = when(commit, "timestamp")
    return build(
        OutsideChange,
        "",
        sha=text(commit, "id"),
        author_name=clip(opt_text(commit, "author.name") or "", 200),
        author_email=clip(opt_text(commit, "author.email") or "", 200),
        authored_at=at,
        committed_at=at,
        merged_at=merged_at,
        message=clip(opt_text(commit, "message") or "", 100_000),
    )


def reviewed_change(sha: str, author: str, title: str, created: datetime, merged_at: datetime | None) -> OutsideChange:
    """A commit a pull request (GitHub) or merge request (GitLab) names, dated by the request: not authoritative
    (a push of the commit reports its own times)."""
    return build(
        OutsideChange,
        "",
        sha=sha,
        author_name=clip(author, 200),
        authored_at=created,
        committed_at=merged_at or created,
        merged_at=merged_at,
        message=clip(title, 100_000),
        authoritative=False,
    )


def deployment_record(
    inbound: Inbound,
    origin: Origin,
    external_id: str,
    environment: str,
    *,
    sha: str,
    status: DeploymentStatus,
    at: datetime,
) -> None:
    """A deployment of a commit as GitHub and GitLab report it (the version shown: the SHA's first 12)."""
    where = clip(environment, 40)
    inbound.records.append(
        build(
            OutsideDeployment,
            "",
            origin=origin,
            external_id=external_id,
            environment=where,
            version=sha[:12],
            commit_sha=sha,
            status=status,
            at=at,
        )
    )
    inbound.summary = f"deployment {external_id} to {where}: {status}"
