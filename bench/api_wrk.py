"""An authenticated API read under `wrk -t1 -c32 -d5s` beside a bare async endpoint of the same server (a
route returning a constant: `/healthz`), on SQLite and PostgreSQL: `GET /api/v1/epics?limit=20` with a
bearer token over a store of 200 epics.

Two figures: the same read repeated, which the server answers from what it keeps (`api.kept`: the token
from its cache, the answer kept at the topic's revision, checked once a second), and a read it has not
kept (every request a new query string, `&n=<counter>`, which the route ignores): token check, one read
transaction, the revision and five statements (count, page, the page's features, owners and themes),
serialization."""

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
# every request a query string the server has not seen, so none is answered from what it keeps
UNKEPT_LUA = (
    "counter = 0\n"
    "request = function()\n"
    "  counter = counter + 1\n"
    f'  return wrk.format(nil, "{READ}&n=" .. counter)\n'
    "end\n"
)


def run() -> list[Result]:
    results: list[Result] = []
    for backend, url in each_database():
        results.extend(_one(backend, url))
    return results


def _one(backend: str, url: str | None) -> list[Result]:
    with running_server(url) as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        _seed(server.url, token)
        bare = _measure(server.url + "/healthz")
        kept = _measure(server.url + READ, token)
        unkept = _measure(server.url + READ, token, UNKEPT_LUA)
    assert kept.refused == unkept.refused == bare.refused == 0, (kept, unkept, bare)
    label = f"authenticated API read (GET {READ}, {EPICS} epics, wrk -t1 -c32 -d5s, {backend})"
    baseline = "bare async endpoint, same server"
    return [
        Result(f"{label}, repeated (kept answer)", kept.per_second, "req/s", baseline, bare.per_second),
        Result(f"{label}, a new query each time (read)", unkept.per_second, "req/s", baseline, bare.per_second),
    ]


def _seed(url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url + "/api/v1", headers=headers, timeout=30) as http:
        for number in range(EPICS):
            http.post("/epics", json={"title": f"Bench epic {number}"}).raise_for_status()


def _measure(url: str, token: str | None = None, lua: str = "") -> WrkRun:
    with tempfile.TemporaryDirectory() as scratch:
        extra: list[str] = []
        if token is not None:
            script = Path(scratch) / "auth.lua"
            script.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + AUTH_LUA + lua)
            extra = ["-s", str(script)]
        _wrk([*WARM, *extra, url])
        return _wrk([*WRK, *extra, url])
