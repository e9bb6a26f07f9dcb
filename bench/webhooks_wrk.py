"""GitHub webhook deliveries per second driven by `wrk`: signed `push` deliveries (one new commit each, a
new delivery id each) to /hooks/github of a real `factory serve`, each verified, mapped to the repository's
service and stored as a delivery record before the answer, beside a bare endpoint (GET /healthz) under the
same wrk load in the same run. Skipped where the receiver is not part of the build."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil

import httpx

from bench.harness import Result, running_server, wrk_get, wrk_post

BODIES = 4_000
REPOSITORY = "drone-co/engine-control"


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): skipped")
        return []
    with running_server() as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            hook = _hook(api)
        if hook is None:
            print("  /hooks/github is not part of this build: skipped")
            return []
        public_id, secret = hook
        deliveries = wrk_post(server.url, f"/hooks/github?hook={public_id}", _bodies(secret))
        bare = wrk_get(server.url + "/healthz")
    print(f"  wrk: {deliveries.requests} deliveries, {deliveries.refused} not 2xx; /healthz {bare.requests}")
    return [
        Result(
            "GitHub push deliveries (POST /hooks/github: HMAC check, mapping, delivery record), wrk 4 connections",
            deliveries.per_second,
            "req/s",
            "bare endpoint (GET /healthz), same wrk load",
            bare.per_second,
        )
    ]


def _hook(api: httpx.Client) -> tuple[str, str] | None:
    """A team, its service, a GitHub hook of the team mapping the repository to the service (None: this build
    has no integrations API)."""
    api.post("/api/v1/teams", json={"key": "engines", "name": "Engines"}).raise_for_status()
    service = {"key": "engine-control", "name": "Engine control", "owner_team": "engines"}
    api.post("/api/v1/services", json=service).raise_for_status()
    made = api.post("/api/v1/integrations", json={"kind": "github", "team": "engines", "name": "GitHub"})
    if made.status_code == 404:
        return None
    made.raise_for_status()
    public_id = made.json()["hook"]["public_id"]
    mapping = {"external": REPOSITORY, "service": "engine-control"}
    api.post(f"/api/v1/integrations/{public_id}/mappings", json=mapping).raise_for_status()
    return public_id, made.json()["secret"]


def _bodies(secret: str) -> list[tuple[bytes, dict[str, str]]]:
    bodies = []
    for number in range(BODIES):
        sha = hashlib.sha1(f"commit {number}".encode()).hexdigest()  # noqa: S324  (a commit id, not security)
        payload = {
            "ref": "refs/heads/main",
            "repository": {"full_name": REPOSITORY, "default_branch": "main", "pushed_at": 1_790_000_000 + number},
            "commits": [
                {
                    "id": sha,
                    "message": f"Change {number}",
                    "timestamp": "2026-12-01T10:00:00Z",
                    "author": {"name": "Erin", "email": "erin@example.com"},
                }
            ],
        }
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "bench-{request}",
            "X-Hub-Signature-256": signature,
        }
        bodies.append((body, headers))
    return bodies
