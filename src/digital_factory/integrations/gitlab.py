"""GitLab webhook deliveries -> delivery records (field by field in docs/integrations.md).

Mapped: Push Hook and Tag Push Hook (each commit a change), Merge Request Hook (the last commit first seen;
merged: the merge commit with its merge time), Pipeline Hook (a run), Deployment Hook (a deployment).
Everything else is acknowledged and ignored. The delivery id is `Idempotency-Key` (stable across GitLab's
retries), else `X-Gitlab-Event-UUID`, else the SHA-256 of the body."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from digital_factory.delivery.schemas import (
    DeploymentStatus,
    Origin,
    OutsideRun,
    OutsideRunStatus,
    Status,
)
from digital_factory.integrations.payload import (
    Inbound,
    build,
    clip,
    commit_change,
    deployment_record,
    items,
    malformed,
    mapped,
    obj,
    opt_text,
    opt_when,
    reviewed_change,
    text,
    when,
    within,
)

GITLAB = Origin.GITLAB
_PIPELINE = {
    "running": (OutsideRunStatus.RUNNING, None),
    "success": (OutsideRunStatus.FINISHED, Status.PASSED),
    "failed": (OutsideRunStatus.FINISHED, Status.FAILED),
    "canceled": (OutsideRunStatus.FINISHED, Status.CANCELLED),
    "skipped": (OutsideRunStatus.FINISHED, Status.CANCELLED),
}
_DEPLOYMENT = {
    "created": DeploymentStatus.REQUESTED,
    "running": DeploymentStatus.RUNNING,
    "success": DeploymentStatus.SUCCEEDED,
    "failed": DeploymentStatus.FAILED,
    "canceled": DeploymentStatus.CANCELLED,
}


def parse(headers: dict[str, str], body: bytes) -> Inbound:
    event = headers.get("x-gitlab-event", "").strip()
    if not event:
        raise malformed("X-Gitlab-Event", "the header is required")
    delivery_id = (headers.get("idempotency-key") or headers.get("x-gitlab-event-uuid") or "").strip()
    if not delivery_id or len(delivery_id) > 200:
        delivery_id = "sha256:" + hashlib.sha256(body).hexdigest()
    return mapped(_MAPPERS, "GitLab", event, delivery_id, body, subject="project.path_with_namespace")


def _push(payload: dict[str, Any], inbound: Inbound) -> None:
    for i, commit in enumerate(items(payload, "commits")):
        if not isinstance(commit, dict):
            raise malformed(f"commits.{i}", "must be a JSON object")
        with within(f"commits.{i}"):
            inbound.records.append(commit_change(commit))
    ref = clip(opt_text(payload, "ref") or "", 100)
    count = len(inbound.records)
    inbound.summary = f"{count} commit(s) to {ref}" if count else f"no commits (a new or deleted {ref})"


def _merge_request(payload: dict[str, Any], inbound: Inbound) -> None:
    mr = obj(payload, "object_attributes")
    with within("object_attributes"):
        _merge_request_of(mr, opt_text(payload, "user.username") or "", inbound)


def _merge_request_of(mr: dict[str, Any], user: str, inbound: Inbound) -> None:
    action = opt_text(mr, "action") or ""
    merged = action == "merge" or opt_text(mr, "state") == "merged"
    created = when(mr, "created_at")
    merged_at = (opt_when(mr, "merged_at") or when(mr, "updated_at")) if merged else None
    sha = (opt_text(mr, "merge_commit_sha") if merged else None) or text(mr, "last_commit.id")
    inbound.records.append(reviewed_change(sha, user, opt_text(mr, "title") or "", created, merged_at))
    inbound.summary = f"merge request !{opt_text(mr, 'iid')} {action or opt_text(mr, 'state')}"


def _pipeline(payload: dict[str, Any], inbound: Inbound) -> None:
    pipeline = obj(payload, "object_attributes")
    started = _latest(payload)
    with within("object_attributes"):
        _pipeline_of(pipeline, started, inbound)


def _pipeline_of(pipeline: dict[str, Any], latest: datetime | None, inbound: Inbound) -> None:
    status, outcome = _PIPELINE.get(text(pipeline, "status"), (OutsideRunStatus.QUEUED, None))
    created = when(pipeline, "created_at")
    finished = opt_when(pipeline, "finished_at") if outcome else None
    at = finished or (created if status == OutsideRunStatus.QUEUED else latest or created)
    pipeline_id = text(pipeline, "id")
    inbound.records.append(
        build(
            OutsideRun,
            "",
            origin=GITLAB,
            external_id=pipeline_id,
            name=clip(opt_text(pipeline, "name") or f"pipeline {pipeline_id}", 300),
            status=status,
            outcome=outcome,
            ref=clip(opt_text(pipeline, "ref") or "", 255) or None,
            head_sha=text(pipeline, "sha"),
            url=clip(opt_text(pipeline, "url") or "", 500) or None,
            started_at=created if status != OutsideRunStatus.QUEUED else None,
            finished_at=finished,
            at=at,
        )
    )
    inbound.summary = f"pipeline {pipeline_id} {status}" + (f" ({outcome})" if outcome else "")


def _latest(payload: dict[str, Any]) -> datetime | None:
    """The latest start of the pipeline's jobs: when a running pipeline was last seen to move."""
    starts = []
    for i, build_ in enumerate(items(payload, "builds")):
        if isinstance(build_, dict):
            with within(f"builds.{i}"):
                starts.append(opt_when(build_, "started_at"))
    return max((s for s in starts if s is not None), default=None)


def _deployment(payload: dict[str, Any], inbound: Inbound) -> None:
    state = text(payload, "status")
    status = _DEPLOYMENT.get(state)
    if status is None:
        inbound.summary = f"deployment status {clip(state, 40)!r}: nothing to record"
        return
    commit_url = opt_text(payload, "commit_url") or ""
    sha = commit_url.rsplit("/", 1)[-1] if commit_url else ""
    if not (7 <= len(sha) <= 64 and all(c in "0123456789abcdef" for c in sha)):
        sha = text(payload, "short_sha")
    environment, at = text(payload, "environment"), when(payload, "status_changed_at")
    deployment_record(inbound, GITLAB, text(payload, "deployment_id"), environment, sha=sha, status=status, at=at)


_MAPPERS = {
    "Push Hook": _push,
    "Tag Push Hook": _push,
    "Merge Request Hook": _merge_request,
    "Pipeline Hook": _pipeline,
    "Deployment Hook": _deployment,
}
