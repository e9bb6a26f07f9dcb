"""Webhook receiving: signed GitHub deliveries (signature check, dedupe, a deployment recorded, committed
before the answer) beside a bare endpoint on the same server, in the same run."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

import httpx

from bench.harness import Result, requests_per_second, running_server


def _seed(url: str, token: str) -> tuple[str, str]:
    """A team, a service and a GitHub hook mapping `drones/rotor` onto it; returns (public id, secret)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=10) as api:
        api.post("/teams", json={"key": "bench-crew", "name": "Bench crew"}).raise_for_status()
        api.post("/services", json={"key": "rotor", "name": "Rotor", "owner_team": "bench-crew"}).raise_for_status()
        made = api.post("/integrations", json={"kind": "github", "team": "bench-crew", "name": "bench"})
        made.raise_for_status()
        public_id, secret = made.json()["hook"]["public_id"], made.json()["secret"]
        mapping = {"external": "drones/rotor", "service": "rotor"}
        api.post(f"/integrations/{public_id}/mappings", json=mapping).raise_for_status()
    return public_id, secret


def run() -> list[Result]:
    with running_server() as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        public_id, secret = _seed(server.url, token)
        ids = itertools.count()

        def delivery(http: httpx.Client) -> None:
            n = next(ids)
            status = {"state": "success", "environment": "prod", "created_at": "2026-01-01T00:00:05Z"}
            deployment = {
                "id": n % 500,
                "sha": f"{n:040x}",
                "environment": "prod",
                "created_at": "2026-01-01T00:00:00Z",
            }
            payload = {
                "repository": {"full_name": "drones/rotor"},
                "deployment": deployment,
                "deployment_status": status,
            }
            body = json.dumps(payload).encode()
            headers = {
                "X-GitHub-Event": "deployment_status",
                "X-GitHub-Delivery": f"bench-{n}",
                "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                "Content-Type": "application/json",
            }
            response = http.post(f"{server.url}/hooks/github?hook={public_id}", content=body, headers=headers)
            assert response.status_code == 202, response.text

        def bare(http: httpx.Client) -> None:
            assert http.get(server.url + "/healthz").status_code == 200

        requests_per_second(bare, requests=200)  # warm-up
        baseline = requests_per_second(bare, requests=1000)
        figure = requests_per_second(delivery, requests=1000)
    return [
        Result(
            "signed GitHub delivery recorded (POST /hooks/github, deployment_status)",
            figure,
            "req/s",
            "bare endpoint (GET /healthz)",
            baseline,
        )
    ]
