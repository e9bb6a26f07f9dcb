"""GitHub deliveries: every push, pull_request, workflow_run, deployment and deployment_status example of
@octokit/webhooks-examples, signed as GitHub signs, lands as the record it describes; wrong signatures and
repeats store nothing (more)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.factories import MadeUser
from tests.integrations.world import Target, changes, hook, member, send_github, service, signature, stored

DEPLOY_STATES = {"success": "succeeded", "in_progress": "running", "failure": "failed", "error": "failed"}
RUN_STATES = {"queued": "queued", "in_progress": "running", "requested": "queued", "waiting": "queued"}
CONCLUSIONS = {"success": "passed", "cancelled": "cancelled", "skipped": "cancelled", "neutral": "passed"}


def _target(client: TestClient, runtime: Runtime, who: MadeUser, i: int, example: dict[str, Any]) -> Target:
    """A fresh service and hook per example, so each example's record is its own."""
    key = service(runtime, f"gh-{i}", ("staging", "github-pages", "production"))
    return hook(client, who, "github", key, example["repository"]["full_name"])


def _send(client: TestClient, target: Target, event: str, example: dict[str, Any], i: int) -> dict[str, Any]:
    answer = send_github(client, target, event, example, f"{event}-{i}")
    assert answer.status_code == 202, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_every_push_example_records_its_commits(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    for i, example in enumerate(github_examples["push"]):
        target = _target(client, runtime, who, i, example)
        receipt = _send(client, target, "push", example, i)
        commits = example["commits"] or ([example["head_commit"]] if example["head_commit"] else [])
        assert receipt["outcome"] == "mapped", receipt
        if not commits:
            assert receipt["summary"] == f"{target.service}: no commits (deleted {example['ref']})"
            assert (receipt["records"], changes(runtime, target.service)) == ([], {})
            continue
        recorded = changes(runtime, target.service)
        for commit in commits:
            change = recorded[commit["id"]]
            assert change.author_email == commit["author"]["email"]
            assert change.authored_at == datetime.fromisoformat(commit["timestamp"]).astimezone(UTC)
            assert change.subject == commit["message"].split("\n")[0]
        default = f"refs/heads/{example['repository']['default_branch']}"
        pushed = datetime.fromtimestamp(example["repository"]["pushed_at"], UTC)
        assert {c.merged_at for c in recorded.values()} == {pushed if example["ref"] == default else None}


def test_every_pull_request_example_records_its_change(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    for i, example in enumerate(github_examples["pull_request"]):
        target = _target(client, runtime, who, i, example)
        receipt = _send(client, target, "pull_request", example, i)
        pr = example["pull_request"]
        assert receipt["outcome"] == "mapped", receipt
        if example["action"] == "closed":
            assert receipt["summary"].endswith("closed without merging")
        change = changes(runtime, target.service)[pr["head"]["sha"]]
        assert change.authored_at == datetime.fromisoformat(pr["created_at"]).astimezone(UTC)
        assert change.author_name == pr["user"]["login"]
        assert change.merged_at is None


def test_a_merged_pull_request_marks_its_merge_commit(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    example = next(e for e in github_examples["pull_request"] if e["action"] == "closed")
    merged = {**example, "pull_request": {**example["pull_request"], "merged": True}}
    merged["pull_request"]["merged_at"] = "2019-05-15T16:00:00Z"
    target = _target(client, runtime, who, 0, example)
    assert _send(client, target, "pull_request", merged, 0)["outcome"] == "mapped"
    recorded = changes(runtime, target.service)
    merge_sha = example["pull_request"]["merge_commit_sha"]
    assert recorded[merge_sha].merged_at == datetime(2019, 5, 15, 16, tzinfo=UTC)
    assert recorded[example["pull_request"]["head"]["sha"]].merged_at == datetime(2019, 5, 15, 16, tzinfo=UTC)


def test_every_workflow_run_example_records_a_run(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    for i, example in enumerate(github_examples["workflow_run"]):
        target = _target(client, runtime, who, i, example)
        assert _send(client, target, "workflow_run", example, i)["outcome"] == "mapped"
        run = example["workflow_run"]
        listed = client.get(f"/api/v1/runs?service={target.service}", headers=who.headers).json()["items"]
        assert len(listed) == 1
        detail = client.get(f"/api/v1/runs/{listed[0]['id']}", headers=who.headers).json()
        expected = CONCLUSIONS.get(run["conclusion"], "failed") if run["status"] == "completed" else None
        assert detail["status"] == (expected or RUN_STATES[run["status"]])
        assert (detail["origin"], detail["external_id"]) == ("github", str(run["id"]))
        assert (detail["commit_sha"], detail["ref"], detail["url"]) == (
            run["head_sha"],
            run["head_branch"],
            run["html_url"],
        )
        assert detail["trigger"] == "webhook"
        assert detail["stages"] == []


@pytest.mark.parametrize("event", ["deployment", "deployment_status"])
def test_every_deployment_example_records_a_deployment(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]], event: str
) -> None:
    who = member(runtime)
    for i, example in enumerate(github_examples[event]):
        target = _target(client, runtime, who, i, example)
        assert _send(client, target, event, example, i)["outcome"] == "mapped"
        listed = client.get(f"/api/v1/deployments?service={target.service}", headers=who.headers).json()["items"]
        assert len(listed) == 1
        deployment, source = listed[0], example["deployment"]
        state = example["deployment_status"]["state"] if event == "deployment_status" else None
        assert deployment["status"] == (DEPLOY_STATES[state] if state else "requested")
        assert deployment["environment"] == source["environment"]
        assert deployment["is_production"] is (source["environment"] == "production")
        assert (deployment["commit_sha"], deployment["external_id"]) == (source["sha"], str(source["id"]))
        assert (deployment["origin"], deployment["run_id"], deployment["approvals"]) == ("github", None, [])
        finished = deployment["finished_at"] is not None
        assert finished is (state in ("success", "failure", "error"))


def test_a_wrong_or_missing_signature_is_refused_and_stores_nothing(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    example = github_examples["deployment"][0]
    target = _target(client, runtime, who, 0, example)
    before = stored(runtime)
    body = b'{"zen": "x"}'
    for sig in ("", "sha256=" + "0" * 64, signature("another-secret", body), signature(target.secret, body + b" ")):
        headers = {"X-GitHub-Event": "deployment", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json"}
        answer = client.post(target.url, content=body, headers={**headers, "X-Hub-Signature-256": sig})
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert stored(runtime) == before


def test_the_same_delivery_twice_is_stored_once(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    example = github_examples["deployment_status"][0]
    target = _target(client, runtime, who, 0, example)
    first = send_github(client, target, "deployment_status", example, "same-guid")
    counts = stored(runtime)
    second = send_github(client, target, "deployment_status", example, "same-guid")
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    assert stored(runtime) == counts == {**counts, "deliveries": 1, "deployments": 1}
    shown = client.get(f"/api/v1/integrations/{target.public_id}", headers=who.headers).json()
    assert shown["counts"] == {"mapped": 1, "ignored": 0, "unmapped": 0}
    assert [d["delivery_id"] for d in shown["recent"]] == ["same-guid"]


def test_unknown_events_are_acknowledged_and_ignored(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    target = hook(client, who, "github", service(runtime, "quiet"), "o/r")
    answer = send_github(client, target, "star", {"action": "created"}, "star-1")
    assert answer.status_code == 202
    assert answer.json()["outcome"] == "ignored"
    ping = send_github(client, target, "ping", {"zen": "Keep it logically awesome."}, "ping-1")
    assert (ping.status_code, ping.json()["outcome"]) == (202, "ignored")


def test_a_repository_without_mapping_is_stored_as_unmapped(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    who = member(runtime)
    target = hook(client, who, "github", service(runtime, "elsewhere"), "someone/else")
    answer = send_github(client, target, "deployment", github_examples["deployment"][0], "d-unmapped")
    assert (answer.status_code, answer.json()["outcome"]) == (202, "unmapped")
    assert stored(runtime)["deployments"] == 0
    shown = client.get(f"/api/v1/integrations/{target.public_id}", headers=who.headers).json()
    assert shown["recent"][0]["summary"] == "no mapping for Codertocat/Hello-World"
    assert shown["counts"]["unmapped"] == 1


def test_malformed_json_on_a_known_event_is_a_400_naming_the_field(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    target = hook(client, who, "github", service(runtime, "strict"), "o/r")
    before = stored(runtime)
    cases = [
        (b'{"repository": ', "body"),
        (
            b'{"repository": {"full_name": "o/r"}, "deployment": {"id": 1, "created_at": "2026-01-01T00:00:00Z"}}',
            "deployment.environment",
        ),
        (b'{"repository": {"full_name": "o/r"}, "workflow_run": []}', "workflow_run"),
    ]
    for body, field in cases:
        event = "workflow_run" if b"workflow_run" in body else "deployment"
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "m-1",
            "X-Hub-Signature-256": signature(target.secret, body),
        }
        answer = client.post(target.url, content=body, headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["errors"][0]["field"] == field
    assert stored(runtime) == before


def test_a_commit_time_outside_the_supported_years_is_a_400_naming_the_field(
    client: TestClient, runtime: Runtime, github_examples: dict[str, list[dict[str, Any]]]
) -> None:
    """Before, such a time could overflow on its way to UTC; the field's path named it `head_commit..authored_at`."""
    who = member(runtime)
    example = copy.deepcopy(github_examples["push"][0])
    target = _target(client, runtime, who, 0, example)
    before = stored(runtime)
    example["head_commit"]["timestamp"] = "9999-12-31T23:00:00-05:00"
    answer = send_github(client, target, "push", example, "late-1")
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0] == {
        "field": "head_commit.authored_at",
        "reason": "must lie in the years 1970 to 2199",
    }
    assert stored(runtime) == before
