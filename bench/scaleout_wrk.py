"""Scale-out: the same server as 1, 2 and 4 processes on one port (`factory serve --workers N`) behind one
PostgreSQL, each driven by wrk in the same run — an authenticated API read (`GET /api/v1/epics?limit=20`,
a new query string each request, so no process answers from what it keeps; wrk -t1 -c32 -d5s), an API
write (`POST /api/v1/epics`, wrk -t1 -c64 -d5s) and an OFREP single-flag evaluation (wrk -t1 -c32 -d5s, one
frontend key from 2,048 forwarded addresses) — and how long a flag change made through one process takes
to reach the answers of all four."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.api_wrk import READ, UNKEPT_LUA, _measure, _seed
from bench.bench_flags import _seed as _seed_flags
from bench.flags_wrk import CONTEXT, TRUSTING_LOOPBACK, _wrk_post
from bench.harness import Result, WrkRun, _wrk, running_server, scratch_postgres

PROCESSES = (1, 2, 4)
WRITE = ["wrk", "-t1", "-c64", "-d5s"]
POST_LUA = 'wrk.method = "POST"\nwrk.body = [[{"title": "Scale-out epic"}]]\n'
POST_LUA += 'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = AUTHORIZATION\n'
OFREP = "/ofrep/v1/evaluate/flags/heavy-lift-mode"
SETTLE_SECONDS = 15.0  # a serving process's start (imports, runtime) takes 3 s on a quiet 2-core machine


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): skipped")
        return []
    figures: dict[int, dict[str, float]] = {}
    for processes in PROCESSES:
        with scratch_postgres() as url:
            if url is None:
                print("  postgresql: not reachable, skipped")
                return []
            figures[processes] = _measure_processes(url, processes)
        print(f"  {processes} process(es): {figures[processes]}", flush=True)
    return _results(figures)


def _results(figures: dict[int, dict[str, float]]) -> list[Result]:
    results = []
    names = {
        "read": f"authenticated API read (GET {READ}, a new query each time)",
        "write": "API write (POST /api/v1/epics, 64 clients)",
        "ofrep": "OFREP single flag",
    }
    for metric, name in names.items():
        for processes in PROCESSES[1:]:
            label = f"{name}, {processes} processes (PostgreSQL)"
            results.append(Result(label, figures[processes][metric], "req/s", "1 process", figures[1][metric]))
    most = PROCESSES[-1]
    results.append(
        Result(
            f"flag change seen by all {most} processes (from the change's commit)",
            figures[most]["propagation"],
            "s",
            "flag_refresh_seconds",
            1.0,
            higher_is_better=False,
        )
    )
    return results


def _measure_processes(url: str, processes: int) -> dict[str, float]:
    with running_server(url, settings={**TRUSTING_LOOPBACK, "FACTORY_WORKERS": str(processes)}) as server:
        _wait_for_processes(server.pid, processes)
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        _seed(server.url, token)
        client_key = _seed_flags(server.url, token)
        read = _measure(server.url + READ, token, UNKEPT_LUA)
        write = _write(server.url + "/api/v1/epics", token)
        ofrep = _wrk_post(server.url + OFREP, f"Bearer {client_key}", CONTEXT, addresses=2048)
        propagation = _propagation(server.url, token, client_key)
    for run in (read, write, ofrep):
        assert run.refused == 0, run
    return {
        "read": read.per_second,
        "write": write.per_second,
        "ofrep": ofrep.per_second,
        "propagation": propagation,
    }


def _wait_for_processes(parent: int, processes: int) -> None:
    """Until uvicorn's supervisor has started every serving process, then time for their start-up (a process
    that has not finished it takes no connections, so measuring early would under-count it)."""
    if processes == 1:
        return
    deadline = time.monotonic() + 120
    while len(_children(parent)) < processes:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(_children(parent))} of {processes} processes started")
        time.sleep(0.2)
    time.sleep(SETTLE_SECONDS)


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _write(url: str, token: str) -> WrkRun:
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + POST_LUA)
        return _wrk([*WRITE, "-s", str(script), url])


def _propagation(url: str, token: str, client_key: str) -> float:
    """Seconds from a change's commit (its API answer) until 40 answers in a row, each on a new connection
    (so every process takes some), show it — while other clients keep every process's snapshot fresh (an
    idle process re-checks the store at its next request, which would show no delay at all)."""
    change = {"enabled": False}
    path = "/api/v1/services/flight-control/flags/heavy-lift-mode/environments/dev/changes"
    headers = {
        "Authorization": f"Bearer {client_key}",
        "Content-Type": "application/json",
        "X-Forwarded-For": "198.18.0.1",
    }
    with _busy(url + OFREP, headers):
        time.sleep(2)  # every process has answered, and holds a snapshot it trusts for up to a second
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            api.post(path, json=change).raise_for_status()
        return _seen_everywhere(url, headers)


@contextmanager
def _busy(url: str, headers: dict[str, str]) -> Iterator[None]:
    """Four clients evaluating the flag over keep-alive connections until the block ends."""
    stop = threading.Event()

    def evaluate(client: int) -> None:
        # each client from an address of its own: one address is limited to 500 requests a second
        own = {**headers, "X-Forwarded-For": f"198.18.1.{client}"}
        with httpx.Client(headers=own, timeout=10) as http:
            while not stop.is_set():
                http.post(url, content=CONTEXT)

    threads = [threading.Thread(target=evaluate, args=(client,), daemon=True) for client in range(4)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)


def _seen_everywhere(url: str, headers: dict[str, str]) -> float:
    changed = time.perf_counter()
    seen_since: float | None = None
    in_a_row = 0
    while in_a_row < 40:
        asked = time.perf_counter()
        answer = httpx.post(url + OFREP, headers=headers, content=CONTEXT, timeout=10).json()
        if answer.get("reason") == "DISABLED":
            seen_since = asked if in_a_row == 0 else seen_since
            in_a_row += 1
        else:
            in_a_row = 0
        if asked - changed > 30:
            raise RuntimeError(f"the change did not reach every process: {answer}")
    assert seen_since is not None
    return seen_since - changed
