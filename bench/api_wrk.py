"""An authenticated API read under `wrk -t1 -c32 -d5s` beside a bare async endpoint of the same server (a
route returning a constant: `/healthz`), on SQLite and PostgreSQL: `GET /api/v1/epics?limit=20` with a
bearer token — token check, one read transaction, five statements (count, page, the page's features, owners
and themes), serialization — over a store of 200 epics."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from bench.harness import Result, WrkRun, _wrk, each_database, running_server

WRK = ["wrk", "-t1", "-c32", "-d5s"]
WARM = ["wrk", "-t1", "-c32", "-d2s"]
EPICS = 200
READ = "/api/v1/epics?limit=20"
AUTH_LUA = 'wrk.headers["Authorization"] = AUTHORIZATION\n'


def run() -> list[Result]:
    results: list[Result] = []
    for backend, url in each_database():
        results.append(_one(backend, url))
    return results


def _one(backend: str, url: str | None) -> Result:
    with running_server(url) as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        _seed(server.url, token)
        bare = _measure(server.url + "/healthz")
        read = _measure(server.url + READ, token)
    assert read.refused == 0 and bare.refused == 0, (read, bare)
    label = f"authenticated API read (GET {READ}, {EPICS} epics, wrk -t1 -c32 -d5s, {backend})"
    return Result(label, read.per_second, "req/s", "bare async endpoint, same server", bare.per_second)


def _seed(url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=30) as http:
        for number in range(EPICS):
            http.post("/epics", json={"title": f"Bench epic {number}"}).raise_for_status()


def _measure(url: str, token: str | None = None) -> WrkRun:
    with tempfile.TemporaryDirectory() as scratch:
        extra: list[str] = []
        if token is not None:
            script = Path(scratch) / "auth.lua"
            script.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + AUTH_LUA)
            extra = ["-s", str(script)]
        _wrk([*WARM, *extra, url])
        return _wrk([*WRK, *extra, url])
