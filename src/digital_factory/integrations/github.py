"""GitHub webhook deliveries -> delivery records (field by field in docs/integrations.md).

Mapped: push (each commit a change), pull_request (the head commit first seen; merged: the merge commit and
the head commit with their merge time), workflow_run (a run), deployment (a requested deployment),
deployment_status (its state). Everything else is acknowledged and ignored."""

from __future__ import annotations

from datetime import UTC, datetime
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
    opt_obj,
    opt_text,
    opt_when,
    reviewed_change,
    text,
    when,
    within,
)

GITHUB = Origin.GITHUB
_RUN_STATES = {"in_progress": OutsideRunStatus.RUNNING, "completed": OutsideRunStatus.FINISHED}
_CONCLUSIONS = {"success": Status.PASSED, "neutral": Status.PASSED, "cancelled": Status.CANCELLED}
_CONCLUSIONS["skipped"] = Status.CANCELLED
_DEPLOY_STATES = {
    "pending": DeploymentStatus.REQUESTED,
    "queued": DeploymentStatus.REQUESTED,
    "waiting": DeploymentStatus.REQUESTED,
    "in_progress": DeploymentStatus.RUNNING,
    "success": DeploymentStatus.SUCCEEDED,
    "failure": DeploymentStatus.FAILED,
    "error": DeploymentStatus.FAILED,
}


def parse(headers: dict[str, str], body: bytes) -> Inbound:
    event = headers.get("x-github-event", "").strip()
    delivery_id = headers.get("x-github-delivery", "").strip()
    if not event:
        raise malformed("X-GitHub-Event", "the header is required")
    if not delivery_id or len(delivery_id) > 200:
        raise malformed("X-GitHub-Delivery", "the header is required (at most 200 characters)")
    return mapped(
        _MAPPERS, "GitHub", event, delivery_id, body, subject=None if event == "ping" else "repository.full_name"
    )


def _ping(payload: dict[str, Any], inbound: Inbound) -> None:
    inbound.ignored = "ping: the hook is reachable"


def _push(payload: dict[str, Any], inbound: Inbound) -> None:
    commits = items(payload, "commits")
    head = opt_obj(payload, "head_commit")
    if not commits and head is not None:
        commits = [head]
    merged_at = _pushed_at(payload) if _on_default_branch(payload) else None
    for i, commit in enumerate(commits):
        where = f"commits.{i}" if payload.get("commits") else "head_commit"
        if not isinstance(commit, dict):
            raise malformed(where, "must be a JSON object")
        with within(where):
            inbound.records.append(commit_change(commit, merged_at))
    ref = clip(opt_text(payload, "ref") or "", 100)
    inbound.summary = f"{len(commits)} commit(s) to {ref}" if commits else f"no commits (deleted {ref})"


def _on_default_branch(payload: dict[str, Any]) -> bool:
    default = opt_text(payload, "repository.default_branch") or opt_text(payload, "repository.master_branch")
    return bool(default) and opt_text(payload, "ref") == f"refs/heads/{default}"


def _pushed_at(payload: dict[str, Any]) -> datetime | None:
    pushed = payload.get("repository", {}).get("pushed_at")
    if isinstance(pushed, int) and not isinstance(pushed, bool) and 0 < pushed < 2**33:
        return datetime.fromtimestamp(pushed, UTC)
    return opt_when(payload, "repository.pushed_at") if isinstance(pushed, str) else None


def _pull_request(payload: dict[str, Any], inbound: Inbound) -> None:
    action = text(payload, "action")
    pr = obj(payload, "pull_request")
    with within("pull_request"):
        _pull_request_of(pr, action, inbound)


def _pull_request_of(pr: dict[str, Any], action: str, inbound: Inbound) -> None:
    merged = pr.get("merged") is True
    created = when(pr, "created_at")
    merged_at = when(pr, "merged_at") if action == "closed" and merged else None
    shas = [text(pr, "head.sha")]
    if merged_at is not None and opt_text(pr, "merge_commit_sha"):
        shas.insert(0, text(pr, "merge_commit_sha"))
    author, title = opt_text(pr, "user.login") or "", opt_text(pr, "title") or ""
    for sha in shas:
        inbound.records.append(reviewed_change(sha, author, title, created, merged_at))
    unmerged = " without merging" if action == "closed" and not merged else ""
    inbound.summary = f"pull request #{opt_text(pr, 'number')} {action}{unmerged}"


def _workflow_run(payload: dict[str, Any], inbound: Inbound) -> None:
    run = obj(payload, "workflow_run")
    with within("workflow_run"):
        _workflow_run_of(run, inbound)


def _workflow_run_of(run: dict[str, Any], inbound: Inbound) -> None:
    status = _RUN_STATES.get(text(run, "status"), OutsideRunStatus.QUEUED)
    finished = status == OutsideRunStatus.FINISHED
    outcome = _CONCLUSIONS.get(opt_text(run, "conclusion") or "", Status.FAILED) if finished else None
    at = opt_when(run, "updated_at") or when(run, "created_at")
    inbound.records.append(
        build(
            OutsideRun,
            "",
            origin=GITHUB,
            external_id=text(run, "id"),
            name=clip(opt_text(run, "name") or "", 300),
            status=status,
            outcome=outcome,
            ref=clip(opt_text(run, "head_branch") or "", 255) or None,
            head_sha=text(run, "head_sha"),
            url=clip(opt_text(run, "html_url") or "", 500) or None,
            started_at=opt_when(run, "run_started_at"),
            finished_at=at if finished else None,
            at=at,
        )
    )
    inbound.summary = f"workflow run {opt_text(run, 'id')} {status}" + (f" ({outcome})" if outcome else "")


def _deployment(payload: dict[str, Any], inbound: Inbound) -> None:
    _deploy(payload, inbound, DeploymentStatus.REQUESTED, when(payload, "deployment.created_at"))


def _deployment_status(payload: dict[str, Any], inbound: Inbound) -> None:
    state = text(payload, "deployment_status.state")
    status = _DEPLOY_STATES.get(state)
    if status is None:
        inbound.summary = f"deployment state {clip(state, 40)!r}: nothing to record"
        return
    at = opt_when(payload, "deployment_status.updated_at") or when(payload, "deployment_status.created_at")
    _deploy(payload, inbound, status, at)


def _deploy(payload: dict[str, Any], inbound: Inbound, status: DeploymentStatus, at: datetime) -> None:
    obj(payload, "deployment")
    environment = opt_text(payload, "deployment_status.environment") or text(payload, "deployment.environment")
    sha = text(payload, "deployment.sha")
    deployment_id = text(payload, "deployment.id")
    deployment_record(inbound, GITHUB, deployment_id, environment, sha=sha, status=status, at=at)


_MAPPERS = {
    "ping": _ping,
    "push": _push,
    "pull_request": _pull_request,
    "workflow_run": _workflow_run,
    "deployment": _deployment,
    "deployment_status": _deployment_status,
}
