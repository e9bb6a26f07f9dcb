"""An authenticated API read (token check + store read) beside a bare endpoint on the same server."""

from __future__ import annotations

import httpx

from bench.harness import Result, requests_per_second, running_server


def run() -> list[Result]:
    with running_server() as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        headers = {"Authorization": f"Bearer {token}"}

        def authenticated(http: httpx.Client) -> None:
            response = http.get(server.url + "/api/v1/users", headers=headers)
            assert response.status_code == 200

        def bare(http: httpx.Client) -> None:
            assert http.get(server.url + "/healthz").status_code == 200

        requests_per_second(bare, requests=200)  # warm-up
        baseline = requests_per_second(bare)
        figure = requests_per_second(authenticated)
    return [
        Result("authenticated API read (GET /api/v1/users)", figure, "req/s", "bare endpoint (GET /healthz)", baseline)
    ]
