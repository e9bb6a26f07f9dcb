"""Flag evaluation: in process beside a plain dict lookup; OFREP over HTTP beside a bare endpoint on the same
server, in the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from bench.harness import Result, requests_per_second, running_server
from digital_factory.releases.evaluation import CompiledFlag

BOOL = {"on": True, "off": False}
ROLLOUT = {"rollout": [{"variant": "on", "percent": 30}, {"variant": "off", "percent": 70}]}
SEGMENTS = {
    "pilots": {
        "included": ["drone-7"],
        "conditions": [{"attribute": "fleet", "operator": "equals", "values": ["beta"]}],
    }
}
RULES: list[dict[str, Any]] = [
    {"conditions": [{"operator": "in_segment", "values": ["pilots"]}], "serve": {"variant": "on"}},
    {
        "conditions": [
            {"attribute": "plan", "operator": "in", "values": ["pro", "fleet"]},
            {"attribute": "appVersion", "operator": "semver_gte", "values": ["2.4.0"]},
        ],
        "serve": {"variant": "on"},
    },
]
TARGETING = {"enabled": True, "off_variant": "off", "default": ROLLOUT, "rules": RULES}
CASES: dict[str, dict[str, Any]] = {
    "static flag": {"enabled": True, "off_variant": "off", "default": {"variant": "on"}, "rules": []},
    "percentage rollout (SHA-256 bucket)": {"enabled": True, "off_variant": "off", "default": ROLLOUT, "rules": []},
    "targeting: segment + 2 conditions, then rollout": TARGETING,
}


def _per_second(operation: Callable[[int], object], count: int = 200_000) -> float:
    started = time.perf_counter()
    for i in range(count):
        operation(i)
    return count / (time.perf_counter() - started)


def in_process() -> list[Result]:
    contexts = [
        {"targetingKey": f"drone-{i}", "plan": "free", "appVersion": "2.3.1", "fleet": "main"} for i in range(1024)
    ]
    table = {f"flag-{i}": i for i in range(1024)}
    keys = list(table)
    baseline = _per_second(lambda i: table[keys[i & 1023]])
    results = []
    for name, config in CASES.items():
        flag = CompiledFlag(key="heavy-lift-mode", flag_type="boolean", variants=BOOL, config=config, segments=SEGMENTS)
        figure = _per_second(lambda i, f=flag: f.evaluate(contexts[i & 1023]))  # type: ignore[misc]
        results.append(Result(f"in-process evaluation: {name}", figure, "ops/s", "plain dict lookup", baseline))
    return results


# the bench measures the server, not the rate limits (per key and, since they came, per address)
UNLIMITED = {"FACTORY_OFREP_RATE_LIMIT": "0", "FACTORY_OFREP_ADDRESS_RATE_LIMIT": "0"}


def _seed(url: str, token: str) -> str:
    """A service with a rollout flag and nine more, through the API; returns a dev client key."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=30) as api:
        api.post("/services", json={"key": "flight-control", "name": "Flight control"}).raise_for_status()
        for i in range(10):
            key = "heavy-lift-mode" if i == 0 else f"flag-{i}"
            api.post("/services/flight-control/flags", json={"key": key}).raise_for_status()
            change = {"enabled": True, "default": ROLLOUT, "rules": RULES[1:]}
            api.post(f"/services/flight-control/flags/{key}/environments/dev/changes", json=change).raise_for_status()
        created = api.post("/services/flight-control/client-keys", json={"environment": "dev"})
        created.raise_for_status()
        return str(created.json()["secret"])


def over_http() -> list[Result]:
    with running_server(settings=UNLIMITED) as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        client_key = _seed(server.url, token)
        headers = {"Authorization": f"Bearer {client_key}"}
        body = {"context": {"targetingKey": "drone-42", "plan": "pro", "appVersion": "2.5.0"}}

        def single(http: httpx.Client) -> None:
            response = http.post(server.url + "/ofrep/v1/evaluate/flags/heavy-lift-mode", headers=headers, json=body)
            assert response.status_code == 200, response.text

        def bulk(http: httpx.Client) -> None:
            response = http.post(server.url + "/ofrep/v1/evaluate/flags", headers=headers, json=body)
            assert response.status_code == 200 and len(response.json()["flags"]) == 10

        def bare(http: httpx.Client) -> None:
            assert http.get(server.url + "/healthz").status_code == 200

        requests_per_second(bare, requests=200)  # warm-up
        requests_per_second(single, requests=200)
        baseline = requests_per_second(bare)
        figure = requests_per_second(single)
        bulk_figure = requests_per_second(bulk)
    bare_name = "bare endpoint (GET /healthz)"
    return [
        Result("OFREP single flag (POST /ofrep/v1/evaluate/flags/{key})", figure, "req/s", bare_name, baseline),
        Result("OFREP bulk, 10 flags (POST /ofrep/v1/evaluate/flags)", bulk_figure, "req/s", bare_name, baseline),
    ]


def run() -> list[Result]:
    return in_process() + over_http()
