"""CDEvents 0.4.1 and 0.5.1 (fixtures from the cdevents/spec conformance examples) in binary and structured
CloudEvents mode: each lands as the record it describes; custom and unknown types are stored, not
interpreted; the bearer secret or the HMAC header is required."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.integrations.world import Target, changes, hook, member, service, signature, stored

FIXTURES = Path(__file__).parent / "fixtures" / "cdevents"
CASES = [(v.name, f.stem) for v in sorted(FIXTURES.iterdir()) if v.is_dir() for f in sorted(v.glob("*.json"))]


def _post(client: TestClient, target: Target, event: dict[str, Any], mode: str, **extra: str) -> Any:
    context = event["context"]
    if mode == "structured":
        envelope = {
            "specversion": "1.0",
            "id": context["id"],
            "source": context["source"],
            "type": context["type"],
            "subject": event["subject"]["id"],
            "time": context["timestamp"],
            "datacontenttype": "application/json",
            "data": event,
        }
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/cloudevents+json"}
    else:
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/json",
            "ce-specversion": "1.0",
            "ce-id": context["id"],
            "ce-source": context["source"],
            "ce-type": context["type"],
            "ce-subject": event["subject"]["id"],
            "ce-time": context["timestamp"],
        }
    headers |= extra or {"Authorization": f"Bearer {target.secret}"}
    if "X-Hub-Signature-256" in headers:
        headers["X-Hub-Signature-256"] = signature(target.secret, body)
    return client.post(target.url, content=body, headers=headers)


@pytest.mark.parametrize("mode", ["binary", "structured"])
@pytest.mark.parametrize(("version", "name"), CASES)
def test_each_example_is_recorded(client: TestClient, runtime: Runtime, version: str, name: str, mode: str) -> None:
    event = json.loads((FIXTURES / version / f"{name}.json").read_text())
    who = member(runtime)
    key = service(runtime, "cd-svc", ("test123", "prod1"))
    target = hook(client, who, "cdevents", key, "TestRepo/TestOrg", "mySubject123", "myApp")
    answer = _post(client, target, event, mode)
    assert answer.status_code == 202, answer.text
    assert answer.json()["outcome"] == "mapped", answer.json()
    subject, content, at = event["subject"], event["subject"]["content"], event["context"]["timestamp"]
    kind = name.split("_", maxsplit=1)[0]
    if kind == "change":
        change = changes(runtime, key)[subject["id"]]
        assert (change.merged_at is not None) is name.endswith("merged")
        assert change.authored_at.isoformat().startswith(at[:19])
    elif kind == "pipelinerun":
        [run] = client.get(f"/api/v1/runs?service={key}", headers=who.headers).json()["items"]
        assert run["status"] == ("failed" if name.endswith("finished") else "running")
        assert (run["origin"], run["commit_message"]) == ("cdevents", content["pipelineName"])
    elif kind == "service":
        [deployment] = client.get(f"/api/v1/deployments?service={key}", headers=who.headers).json()["items"]
        assert (deployment["environment"], deployment["status"]) == ("test123", "succeeded")
        assert deployment["version"] == "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
        assert deployment["is_rollback"] is name.endswith("rolledback")
    else:
        [incident] = client.get(f"/api/v1/incidents?service={key}", headers=who.headers).json()["items"]
        assert (incident["environment"], incident["external_id"]) == ("prod1", "incident-123")
        assert incident["status"] == ("resolved" if name.endswith("resolved") else "open")
        assert incident["title"] == content["description"]


def test_an_incident_is_opened_attributed_and_resolved(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    key = service(runtime, "cd-svc", ("test123", "prod1"))
    target = hook(client, who, "cdevents", key, "mySubject123", "myApp")
    deployed = json.loads((FIXTURES / "v0.5.1" / "service_deployed.json").read_text())
    deployed["subject"]["content"]["environment"]["id"] = "prod1"
    assert _post(client, target, deployed, "binary").status_code == 202
    detected = json.loads((FIXTURES / "v0.5.1" / "incident_detected.json").read_text())
    resolved = json.loads((FIXTURES / "v0.5.1" / "incident_resolved.json").read_text())
    resolved["context"]["id"] = "resolution-1"
    resolved["context"]["timestamp"] = "2022-11-11T14:52:20.079Z"
    deployed_at = "2022-11-11T13:00:00Z"
    deployed["context"]["timestamp"] = deployed_at
    assert _post(client, target, resolved, "structured").status_code == 202  # out of order: resolution first
    assert _post(client, target, detected, "structured").status_code == 202
    [incident] = client.get(f"/api/v1/incidents?service={key}", headers=who.headers).json()["items"]
    assert incident["status"] == "resolved"
    assert (incident["detected_at"], incident["resolved_at"]) == (
        "2022-11-11T13:52:20.079000Z",
        "2022-11-11T14:52:20.079000Z",
    )


@pytest.mark.parametrize("kind", ["dev.cdeventsx.mytool-widget.created.0.1.0", "dev.cdevents.ticket.created.0.2.0"])
def test_custom_and_unmapped_types_are_stored_not_interpreted(client: TestClient, runtime: Runtime, kind: str) -> None:
    who = member(runtime)
    target = hook(client, who, "cdevents", service(runtime, "cd-svc"), "mySubject123")
    event = json.loads((FIXTURES / "v0.5.1" / "service_deployed.json").read_text())
    event["context"]["type"] = kind
    answer = _post(client, target, event, "binary")
    assert (answer.status_code, answer.json()["outcome"]) == (202, "ignored")
    assert stored(runtime) | {"deliveries": 0} == {
        "deliveries": 0,
        "changes": 0,
        "runs": 0,
        "deployments": 0,
        "incidents": 0,
    }


def test_the_hmac_header_works_too_and_a_wrong_secret_stores_nothing(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    target = hook(client, who, "cdevents", service(runtime, "cd-svc", ("test123",)), "mySubject123")
    event = json.loads((FIXTURES / "v0.4.1" / "service_upgraded.json").read_text())
    for wrong in (
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic " + target.secret},
        {"X-Hub-Signature-256": "sha256=00"},
    ):
        answer = (
            _post(client, target, event, "binary", **wrong)
            if "X-Hub-Signature-256" not in wrong
            else client.post(
                target.url, content=json.dumps(event).encode(), headers={"Content-Type": "application/json", **wrong}
            )
        )
        assert answer.status_code == 401, answer.text
    assert stored(runtime)["deliveries"] == 0
    signed = _post(client, target, event, "structured", **{"X-Hub-Signature-256": "computed"})
    assert (signed.status_code, signed.json()["outcome"]) == (202, "mapped")
    again = _post(client, target, event, "binary")
    assert (again.status_code, again.json()["duplicate"]) == (200, True)


def test_a_cloudevent_without_its_required_attributes_is_a_400(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    target = hook(client, who, "cdevents", service(runtime, "cd-svc"), "mySubject123")
    event = json.loads((FIXTURES / "v0.5.1" / "service_deployed.json").read_text())
    body = json.dumps({"specversion": "1.0", "id": "x", "type": event["context"]["type"], "data": event}).encode()
    headers = {"Content-Type": "application/cloudevents+json", "Authorization": f"Bearer {target.secret}"}
    answer = client.post(target.url, content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "source", "reason": "the CloudEvents attribute is required"}]
    assert stored(runtime)["deliveries"] == 0
