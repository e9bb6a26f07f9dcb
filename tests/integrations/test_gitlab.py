"""GitLab deliveries (fixtures written from GitLab's webhook docs): each lands as the record it describes;
a wrong token stores nothing; GitLab's retries (same Idempotency-Key / event UUID) are stored once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.integrations.world import changes, hook, member, send_gitlab, service, stored

FIXTURES = Path(__file__).parent / "fixtures" / "gitlab"
EVENTS: dict[str, str] = json.loads((FIXTURES / "headers.json").read_text())


def _fixture(name: str) -> tuple[bytes, dict[str, Any]]:
    body = (FIXTURES / name).read_bytes()
    return body, json.loads(body)


def _send(client: TestClient, runtime: Runtime, name: str) -> tuple[str, dict[str, Any], Any]:
    who = member(runtime)
    body, payload = _fixture(name)
    key = service(runtime, "lab-svc")
    target = hook(client, who, "gitlab", key, payload["project"]["path_with_namespace"])
    answer = send_gitlab(client, target, EVENTS[name], body, f"uuid-{name}")
    assert answer.status_code == 202, answer.text
    return key, payload, answer.json()


def test_a_push_records_each_commit_with_its_work_items(client: TestClient, runtime: Runtime) -> None:
    key, payload, receipt = _send(client, runtime, "push.json")
    assert receipt["outcome"] == "mapped"
    recorded = changes(runtime, key)
    assert sorted(recorded) == sorted(c["id"] for c in payload["commits"])
    readme = recorded["da1560886d4f094c3e6c9ef40349f7d38b5d27d7"]
    assert readme.item_keys == ["FEAT-3"]
    assert readme.committed_at == datetime(2012, 1, 3, 21, 36, 29, tzinfo=UTC)
    assert readme.author_name == "GitLab dev user"


def test_a_tag_push_without_commits_records_nothing(client: TestClient, runtime: Runtime) -> None:
    key, _, receipt = _send(client, runtime, "tag_push.json")
    assert (receipt["outcome"], receipt["records"]) == ("mapped", [])
    assert receipt["summary"] == "lab-svc: no commits (a new or deleted refs/tags/v1.0.0)"
    assert changes(runtime, key) == {}


def test_merge_requests_record_their_commit_and_merge_time(client: TestClient, runtime: Runtime) -> None:
    key, _, receipt = _send(client, runtime, "merge_request_open.json")
    assert receipt["outcome"] == "mapped"
    opened = changes(runtime, key)["da1560886d4f094c3e6c9ef40349f7d38b5d27d7"]
    assert (opened.merged_at, opened.authored_at) == (None, datetime(2013, 12, 3, 17, 23, 34, tzinfo=UTC))
    assert opened.item_keys == ["FEAT-7"]


def test_a_merged_merge_request_records_the_merge_commit(client: TestClient, runtime: Runtime) -> None:
    key, payload, _ = _send(client, runtime, "merge_request_merge.json")
    merged = changes(runtime, key)[payload["object_attributes"]["merge_commit_sha"]]
    assert merged.merged_at == datetime(2013, 12, 4, 9, 10, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "status"), [("pipeline_running.json", "running"), ("pipeline_success.json", "passed")]
)
def test_a_pipeline_records_a_run(client: TestClient, runtime: Runtime, name: str, status: str) -> None:
    key, payload, receipt = _send(client, runtime, name)
    assert receipt["outcome"] == "mapped"
    who = member(runtime, "gil")
    [run] = client.get(f"/api/v1/runs?service={key}", headers=who.headers).json()["items"]
    detail = client.get(f"/api/v1/runs/{run['id']}", headers=who.headers).json()
    attributes = payload["object_attributes"]
    assert (detail["status"], detail["origin"], detail["external_id"]) == (status, "gitlab", "31")
    assert (detail["commit_sha"], detail["ref"], detail["url"]) == (attributes["sha"], "master", attributes["url"])
    assert detail["started_at"] == "2016-08-12T15:23:28Z"
    assert detail["finished_at"] == ("2016-08-12T15:26:29Z" if status == "passed" else None)


def test_a_pipeline_never_moves_backwards(client: TestClient, runtime: Runtime) -> None:
    key, _, _ = _send(client, runtime, "pipeline_success.json")
    target_public = client.get("/api/v1/integrations", headers=member(runtime, "gil").headers).json()[0]
    late, _ = _fixture("pipeline_running.json")
    secret_less = client.post(
        f"/hooks/gitlab?hook={target_public['public_id']}",
        content=late,
        headers={"X-Gitlab-Event": "Pipeline Hook", "X-Gitlab-Token": "wrong"},
    )
    assert secret_less.status_code == 401
    runs = client.get(f"/api/v1/runs?service={key}", headers=member(runtime, "hal").headers).json()["items"]
    assert [r["status"] for r in runs] == ["passed"]


def test_a_deployment_records_environment_commit_and_status(client: TestClient, runtime: Runtime) -> None:
    key, _, receipt = _send(client, runtime, "deployment_success.json")
    assert receipt["outcome"] == "mapped"
    [deployment] = client.get(f"/api/v1/deployments?service={key}", headers=member(runtime, "gil").headers).json()[
        "items"
    ]
    assert deployment["environment"] == "staging"
    assert deployment["is_production"] is False
    assert deployment["commit_sha"] == "279484c09fbe69ededfced8c1bb6e6d24616b468"
    assert (deployment["status"], deployment["external_id"]) == ("succeeded", "15")
    assert deployment["finished_at"] == "2021-04-28T19:50:00Z"


def test_a_wrong_token_stores_nothing_and_a_retry_is_stored_once(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    body, payload = _fixture("push.json")
    target = hook(client, who, "gitlab", service(runtime, "lab-svc"), payload["project"]["path_with_namespace"])
    before = stored(runtime)
    for token in ("", "nope", target.secret + "x"):
        headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": token, "Content-Type": "application/json"}
        assert client.post(target.url, content=body, headers=headers).status_code == 401
    assert stored(runtime) == before
    first = send_gitlab(client, target, "Push Hook", body, "retry-uuid")
    again = send_gitlab(client, target, "Push Hook", body, "retry-uuid")
    assert (first.status_code, again.status_code, again.json()["duplicate"]) == (202, 200, True)
    assert stored(runtime)["deliveries"] == 1


def test_a_malformed_known_event_names_the_full_field_path(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    _, payload = _fixture("push.json")
    target = hook(client, who, "gitlab", service(runtime, "lab-svc"), payload["project"]["path_with_namespace"])
    payload["commits"][1]["timestamp"] = "yesterday"
    answer = send_gitlab(client, target, "Push Hook", json.dumps(payload).encode(), "bad-1")
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "commits.1.timestamp", "reason": "'yesterday' is not a time"}]
    mr = json.loads(_fixture("merge_request_open.json")[0])
    del mr["object_attributes"]["created_at"]
    answer = send_gitlab(client, target, "Merge Request Hook", json.dumps(mr).encode(), "bad-2")
    assert answer.json()["errors"][0]["field"] == "object_attributes.created_at"
    assert stored(runtime)["deliveries"] == 0
