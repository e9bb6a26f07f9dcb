"""1,000 malformed webhook deliveries (random bytes, truncated JSON, wrong shapes, bad headers), signed with
the hook's secret so they reach the parsers: every one is answered 4xx, nothing is stored, the server stays
healthy."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from digital_factory.app.factory import Runtime
from tests.integrations.world import Target, hook, member, service, signature, stored

FIXTURES = Path(__file__).parent / "fixtures"
WRONG = [[], {}, True, False, "", "not a time", [1, 2], {"a": {}}]
DEPLOYMENT: dict[str, Any] = {
    "action": "created",
    "deployment": {"id": 7, "sha": "a" * 40, "environment": "production", "created_at": "2026-01-01T00:00:00Z"},
    "repository": {"full_name": "o/r"},
}
RUN: dict[str, Any] = {
    "workflow_run": {
        "id": 9,
        "status": "completed",
        "conclusion": "success",
        "head_sha": "b" * 40,
        "created_at": "2026-01-01T00:00:00Z",
    },
    "repository": {"full_name": "o/r"},
}
PUSH: dict[str, Any] = {
    "ref": "refs/heads/main",
    "repository": {"full_name": "o/r", "default_branch": "main"},
    "commits": [{"id": "c" * 40, "timestamp": "2026-01-01T00:00:00Z", "message": "x"}],
}
# (event, payload, dotted paths whose wrong value must be refused)
GITHUB_SHAPES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("deployment", DEPLOYMENT, ["deployment", "deployment.sha", "deployment.environment", "deployment.created_at"]),
    ("deployment", DEPLOYMENT, ["deployment.id", "repository", "repository.full_name"]),
    ("workflow_run", RUN, ["workflow_run", "workflow_run.id", "workflow_run.head_sha", "workflow_run.status"]),
    ("push", PUSH, ["commits", "commits.0", "commits.0.id", "commits.0.timestamp", "repository.full_name"]),
]


def _set(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    node: Any = changed
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
    return changed


class Sender:
    def __init__(self, client: TestClient, github: Target, gitlab: Target, cdevents: Target) -> None:
        self.client, self.github, self.gitlab, self.cdevents = client, github, gitlab, cdevents
        self.n = 0

    def github_post(self, event: str | None, body: bytes, *, delivery: str | None = "", signed: bool = True) -> Any:
        self.n += 1
        headers = {"Content-Type": "application/json"}
        if event is not None:
            headers["X-GitHub-Event"] = event
        if delivery is not None:
            headers["X-GitHub-Delivery"] = delivery or f"fuzz-{self.n}"
        if signed:
            headers["X-Hub-Signature-256"] = signature(self.github.secret, body)
        return self.client.post(self.github.url, content=body, headers=headers)

    def gitlab_post(self, event: str | None, body: bytes) -> Any:
        headers = {"X-Gitlab-Token": self.gitlab.secret, "Content-Type": "application/json"}
        if event is not None:
            headers["X-Gitlab-Event"] = event
        return self.client.post(self.gitlab.url, content=body, headers=headers)

    def cdevents_post(self, body: bytes, headers: dict[str, str]) -> Any:
        auth = {"Authorization": f"Bearer {self.cdevents.secret}"}
        return self.client.post(self.cdevents.url, content=body, headers={**auth, **headers})


def _random_bytes(rng: random.Random, s: Sender) -> Any:
    body = rng.randbytes(rng.randint(0, 300))
    if rng.random() < 0.3:
        return s.gitlab_post("Pipeline Hook", body)
    return s.github_post(rng.choice(["push", "deployment", "workflow_run", "pull_request"]), body)


def _truncated(rng: random.Random, s: Sender) -> Any:
    name = rng.choice(sorted(p.name for p in (FIXTURES / "gitlab").glob("*.json") if p.name != "headers.json"))
    text = (FIXTURES / "gitlab" / name).read_bytes()
    cut = text[: rng.randint(0, len(text.rstrip()) - 1)]
    events = json.loads((FIXTURES / "gitlab" / "headers.json").read_text())
    if rng.random() < 0.5:
        return s.gitlab_post(events[name], cut)
    event = json.dumps(DEPLOYMENT).encode()
    return s.github_post("deployment", event[: rng.randint(0, len(event) - 1)])


def _wrong_shape(rng: random.Random, s: Sender) -> Any:
    event, payload, paths = rng.choice(GITHUB_SHAPES)
    path = rng.choice(paths)
    timely = path.endswith(("created_at", "timestamp"))
    wrong = rng.choice([value for value in WRONG if timely or value != "not a time"])
    body = json.dumps(_set(payload, path, wrong)).encode()
    return s.github_post(event, body)


def _wrong_cdevent(rng: random.Random, s: Sender) -> Any:
    event = json.loads((FIXTURES / "cdevents" / "v0.5.1" / "service_deployed.json").read_text())
    path = rng.choice(["context", "context.type", "context.id", "context.source", "context.timestamp", "subject"])
    wrong = rng.choice([*WRONG, "pkg:nothing"] if path == "context.type" else WRONG)
    if path in ("context.id", "context.source"):
        wrong = rng.choice([value for value in WRONG if not isinstance(value, str) or not value.strip()])
    body = json.dumps(_set(event, path, wrong)).encode()
    if path == "subject":
        body = json.dumps(_set(event, "subject.content.environment", wrong)).encode()
    return s.cdevents_post(body, {"Content-Type": "application/json"})


def _bad_headers(rng: random.Random, s: Sender) -> Any:
    body = json.dumps(DEPLOYMENT).encode()
    cdevent = (FIXTURES / "cdevents" / "v0.4.1" / "incident_detected.json").read_bytes()
    choices: list[Callable[[], Any]] = [
        lambda: s.github_post(None, body),
        lambda: s.github_post("deployment", body, delivery=None),
        lambda: s.github_post("deployment", body, delivery="x" * 201),
        lambda: s.github_post("deployment", body, signed=False),
        lambda: s.gitlab_post(None, body),
        lambda: s.cdevents_post(cdevent, {"Content-Type": "application/json", "ce-specversion": "0.3"}),
        lambda: s.cdevents_post(cdevent, {"Content-Type": "application/json", "ce-type": "dev.cdevents.x.y.1"}),
        lambda: s.cdevents_post(
            b'{"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}',
            {"Content-Type": "application/cloudevents+json"},
        ),
        lambda: s.client.post(s.github.url.replace("github", "gitlab"), content=body, headers={"X-Gitlab-Token": "x"}),
    ]
    return rng.choice(choices)()


def test_a_thousand_malformed_deliveries_are_all_4xx_and_store_nothing(client: TestClient, runtime: Runtime) -> None:
    who = member(runtime)
    key = service(runtime, "fuzzed", ("production", "test123"))
    sender = Sender(
        client,
        hook(client, who, "github", key, "o/r"),
        hook(client, who, "gitlab", key, "gitlab-org/gitlab-test", "mike/diaspora"),
        hook(client, who, "cdevents", key, "mySubject123"),
    )
    before = stored(runtime)
    rng = random.Random(20261204)
    makers = [_random_bytes, _truncated, _wrong_shape, _wrong_cdevent, _bad_headers]
    answers: dict[int, int] = {}
    for i in range(1000):
        answer = makers[i % len(makers)](rng, sender)
        assert 400 <= answer.status_code < 500, (makers[i % len(makers)].__name__, answer.status_code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        answers[answer.status_code] = answers.get(answer.status_code, 0) + 1
    assert stored(runtime) == before
    assert set(answers) <= {400, 401, 404}
    assert client.get("/healthz").json()["status"] == "ok"
    good = client.post(
        sender.github.url,
        content=json.dumps(DEPLOYMENT).encode(),
        headers={
            "X-GitHub-Event": "deployment",
            "X-GitHub-Delivery": "after-the-storm",
            "X-Hub-Signature-256": signature(sender.github.secret, json.dumps(DEPLOYMENT).encode()),
        },
    )
    assert (good.status_code, good.json()["outcome"]) == (202, "mapped")


def test_a_body_over_the_limit_is_413_and_stores_nothing(client: TestClient, runtime: Runtime) -> None:
    target = hook(client, member(runtime), "github", service(runtime, "big"), "o/r")
    body = b'{"repository": {"full_name": "o/r"}, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {
        "X-GitHub-Event": "push",
        "X-GitHub-Delivery": "big-1",
        "X-Hub-Signature-256": signature(target.secret, body),
        "Content-Type": "application/json",
    }
    before = stored(runtime)
    answer = client.post(target.url, content=body, headers=headers)
    assert answer.status_code == 413
    assert stored(runtime) == before
