"""CDEvents over the CloudEvents HTTP binding -> delivery records (field by field in docs/integrations.md).

Both modes: binary (`ce-*` headers, the CDEvent as an `application/json` body) and structured
(`application/cloudevents+json`, the CDEvent in `data`); a bare CDEvent POSTed as JSON is taken too. Spec
0.4.x (`context.version`, `subject.type`) and 0.5.x (`context.specversion`). Routed on `context.type` =
`dev.cdevents.<subject>.<predicate>.<version>`: the types below are mapped, other `dev.cdevents.*` and every
`dev.cdeventsx.*` (custom) type are stored and not interpreted. The delivery id is `source` + `id`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import unquote

from digital_factory.delivery.schemas import (
    DeploymentStatus,
    Origin,
    OutsideChange,
    OutsideDeployment,
    OutsideIncident,
    OutsideRun,
    OutsideRunStatus,
    Status,
)
from digital_factory.integrations.payload import (
    Inbound,
    build,
    clip,
    malformed,
    obj,
    opt_obj,
    opt_text,
    parse_json,
    text,
    timestamp,
    within,
)

CDEVENTS = Origin.CDEVENTS


class _Event(NamedTuple):
    predicate: str
    cdevent: dict[str, Any]
    subject: dict[str, Any]
    at: datetime


STRUCTURED = "application/cloudevents+json"
_OUTCOMES = {"success": Status.PASSED, "failure": Status.FAILED, "error": Status.FAILED, "cancel": Status.CANCELLED}
_CE_REQUIRED = ("specversion", "id", "source", "type")


def parse(headers: dict[str, str], body: bytes) -> Inbound:
    cdevent = obj(_cdevent(headers, body), "")
    context = obj(cdevent, "context")
    if not (opt_text(context, "specversion") or opt_text(context, "version")):
        raise malformed("context.specversion", "is required (context.version in spec 0.4)")
    kind = text(context, "type")
    source, event_id = text(context, "source"), text(context, "id")
    at = timestamp(text(context, "timestamp"), "context.timestamp")
    delivery_id = f"{source} {event_id}"
    if len(delivery_id) > 200:
        delivery_id = "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
    inbound = Inbound(delivery_id=delivery_id, event=clip(kind, 120))
    parts = kind.split(".")
    if kind.startswith("dev.cdeventsx."):
        inbound.ignored = "a custom (dev.cdeventsx) event: stored, not interpreted"
        return inbound
    if len(parts) < 5 or parts[:2] != ["dev", "cdevents"]:
        raise malformed("context.type", "is not a CDEvents type (dev.cdevents.<subject>.<predicate>.<version>)")
    mapper = _MAPPERS.get((parts[2], parts[3]))
    if mapper is None:
        inbound.ignored = f"CDEvents {parts[2]}.{parts[3]} is not mapped"
        return inbound
    subject = obj(cdevent, "subject")
    opt_obj(subject, "content")
    inbound.subjects = [s for s in (text(subject, "id"), opt_text(subject, "source"), source) if s]
    with within("subject"):
        mapper(_Event(parts[3], cdevent, subject, at), inbound)
    return inbound


def _cdevent(headers: dict[str, str], body: bytes) -> Any:
    """The CDEvent of a binary, structured or bare delivery; the CloudEvents attributes checked."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == STRUCTURED:
        envelope = obj(parse_json(body), "")
        _check_cloudevent({name: opt_text(envelope, name) for name in _CE_REQUIRED}, "")
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise malformed("data", "must hold the CDEvent as a JSON object")
        _same_type(opt_text(envelope, "type"), data)
        return data
    if "ce-specversion" in headers or "ce-type" in headers:
        _check_cloudevent({name: headers.get(f"ce-{name}") for name in _CE_REQUIRED}, "ce-")
        data = parse_json(body)
        _same_type(headers.get("ce-type"), data)
        return data
    return parse_json(body)


def _check_cloudevent(attributes: dict[str, str | None], prefix: str) -> None:
    for name, value in attributes.items():
        if not value:
            raise malformed(prefix + name, "the CloudEvents attribute is required")
    if attributes["specversion"] != "1.0":
        raise malformed(prefix + "specversion", "must be 1.0")


def _same_type(declared: str | None, data: Any) -> None:
    if isinstance(data, dict) and isinstance(data.get("context"), dict):
        inner = data["context"].get("type")
        if declared and isinstance(inner, str) and inner != declared:
            raise malformed("type", f"the CloudEvent says {declared[:80]!r}, its CDEvent {inner[:80]!r}")


def _custom_sha(cdevent: dict[str, Any]) -> str:
    custom = cdevent.get("customData")
    if isinstance(custom, dict):
        for name in ("sha", "commit", "commitSha"):
            value = custom.get(name)
            if isinstance(value, str) and 0 < len(value) <= 64:
                return value
    return ""


def _version(artifact_id: str) -> str:
    """The version part of a purl (`pkg:oci/app@sha256%3A0b31…` -> `sha256:0b31…`), clipped for display."""
    return clip(unquote(artifact_id.rsplit("@", 1)[-1]) if "@" in artifact_id else artifact_id, 100)


def _change(event: _Event, inbound: Inbound) -> None:
    predicate, cdevent, subject, at = event
    repository = opt_text(subject, "content.repository.id")
    if repository:
        inbound.subjects.insert(0, repository)
    sha = _custom_sha(cdevent) or clip(text(subject, "id"), 64)
    merged = predicate == "merged"
    inbound.records.append(
        build(
            OutsideChange,
            "",
            sha=sha,
            authored_at=at,
            committed_at=at,
            merged_at=at if merged else None,
            message=clip(opt_text(subject, "content.description") or "", 100_000),
            authoritative=False,
        )
    )
    inbound.summary = f"change {clip(sha, 64)} {predicate}"


def _pipelinerun(event: _Event, inbound: Inbound) -> None:
    predicate, cdevent, subject, at = event
    finished = predicate == "finished"
    status = {"queued": OutsideRunStatus.QUEUED, "started": OutsideRunStatus.RUNNING}.get(
        predicate, OutsideRunStatus.FINISHED
    )
    outcome = _OUTCOMES.get(opt_text(subject, "content.outcome") or "", Status.FAILED) if finished else None
    inbound.records.append(
        build(
            OutsideRun,
            "",
            origin=CDEVENTS,
            external_id=clip(text(subject, "id"), 200),
            name=clip(opt_text(subject, "content.pipelineName") or "", 300),
            status=status,
            outcome=outcome,
            head_sha=_custom_sha(cdevent),
            url=clip(opt_text(subject, "content.url") or opt_text(subject, "content.uri") or "", 500) or None,
            started_at=at if predicate == "started" else None,
            finished_at=at if finished else None,
            at=at,
        )
    )
    inbound.summary = f"pipeline run {clip(text(subject, 'id'), 80)} {predicate}"


def _service(event: _Event, inbound: Inbound) -> None:
    predicate, cdevent, subject, at = event
    environment = clip(text(subject, "content.environment.id"), 40)
    context = obj(cdevent, "context")
    inbound.records.append(
        build(
            OutsideDeployment,
            "",
            origin=CDEVENTS,
            external_id=clip(inbound.delivery_id, 200),
            environment=environment,
            version=_version(opt_text(subject, "content.artifactId") or ""),
            commit_sha=_custom_sha(cdevent),
            status=DeploymentStatus.SUCCEEDED,
            is_rollback=predicate == "rolledback",
            started_at=at,
            finished_at=at,
            at=at,
        )
    )
    inbound.summary = f"{text(context, 'type')[:60]} to {environment}"


def _incident(event: _Event, inbound: Inbound) -> None:
    predicate, _cdevent, subject, at = event
    service = opt_text(subject, "content.service.id")
    if service:
        inbound.subjects.insert(0, service)
    environment = clip(text(subject, "content.environment.id"), 40)
    artifact = opt_text(subject, "content.artifactId")
    inbound.records.append(
        build(
            OutsideIncident,
            "",
            origin=CDEVENTS,
            external_id=clip(text(subject, "id"), 200),
            environment=environment,
            title=clip(opt_text(subject, "content.description") or "", 300),
            resolved=predicate == "resolved",
            caused_by_version=_version(artifact) if artifact and predicate != "resolved" else None,
            at=at,
        )
    )
    inbound.summary = f"incident {clip(text(subject, 'id'), 80)} {predicate} in {environment}"


_MAPPERS = {
    ("change", "created"): _change,
    ("change", "merged"): _change,
    ("pipelinerun", "queued"): _pipelinerun,
    ("pipelinerun", "started"): _pipelinerun,
    ("pipelinerun", "finished"): _pipelinerun,
    ("service", "deployed"): _service,
    ("service", "upgraded"): _service,
    ("service", "rolledback"): _service,
    ("incident", "detected"): _incident,
    ("incident", "reported"): _incident,
    ("incident", "resolved"): _incident,
}
