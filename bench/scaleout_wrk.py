"""Scale-out: 1, 2 and 4 separate servers (`factory serve`, one process each, on a port of its own) behind one
PostgreSQL, as a load balancer would spread clients over them, each count measured in the same run. One wrk
per server, all started together for the same time, the connections split evenly among them, their requests
per second summed: an authenticated API read (`GET /api/v1/epics?limit=20`, a new query string each request,
so no server answers from what it keeps; 32 connections in all, -d5s), an API write (`POST /api/v1/epics`,
64 connections, -d5s; every answered write is found stored) and an OFREP single-flag evaluation (32
connections, -d5s, one frontend key from 2,048 forwarded addresses); none may be refused. Then how long a flag
change made through the first server takes, from its commit, to show in the answers of every server, each
asked in turn.

The first server migrates and sets up the scratch database; the others join it with data folders of their
own and its secret key. Ports of their own, not `factory serve --workers N` on one: the kernel does not spread
connections opened at once over the processes sharing a socket, so one process often took them all."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.api_wrk import AUTH_LUA, EPICS, READ, UNKEPT_LUA, _seed
from bench.bench_flags import _seed as _seed_flags
from bench.flags_wrk import CONTEXT, TRUSTING_LOOPBACK
from bench.flags_wrk import POST_LUA as OFREP_LUA
from bench.harness import Result, Server, WrkRun, _wrk, joining_server, running_server, scratch_postgres

SERVERS = (1, 2, 4)
DURATION, WARM = "-d5s", "-d2s"
READ_CONNECTIONS, WRITE_CONNECTIONS, OFREP_CONNECTIONS = 32, 64, 32  # in all, split evenly among the servers
EPICS_PATH = "/api/v1/epics"
POST_LUA = 'wrk.method = "POST"\nwrk.body = [[{"title": "Scale-out epic"}]]\n'
POST_LUA += 'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = AUTHORIZATION\n'
OFREP = "/ofrep/v1/evaluate/flags/heavy-lift-mode"
FLAG_CHANGES = "/api/v1/services/flight-control/flags/heavy-lift-mode/environments/dev/changes"
IN_A_ROW = 20  # answers of each server in a row that show a change before it counts as seen there


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): skipped")
        return []
    figures: dict[int, dict[str, float]] = {}
    for servers in SERVERS:
        with scratch_postgres() as url:
            if url is None:
                print("  postgresql: not reachable, skipped")
                return []
            figures[servers] = _measure_servers(url, servers)
    return _results(figures)


def _results(figures: dict[int, dict[str, float]]) -> list[Result]:
    results = []
    names = {
        "read": f"authenticated API read (GET {READ}, a new query each time)",
        "write": f"API write (POST {EPICS_PATH}, {WRITE_CONNECTIONS} clients)",
        "ofrep": "OFREP single flag",
    }
    for metric, name in names.items():
        for servers in SERVERS[1:]:
            label = f"{name}, {servers} servers (PostgreSQL)"
            results.append(Result(label, figures[servers][metric], "req/s", "1 server", figures[1][metric]))
    most = SERVERS[-1]
    results.append(
        Result(
            f"flag change seen by all {most} servers (from the change's commit)",
            figures[most]["propagation"],
            "s",
            "the goal: within a second",
            1.0,
            higher_is_better=False,
        )
    )
    return results


def _measure_servers(url: str, count: int) -> dict[str, float]:
    with _servers(url, count) as servers, tempfile.TemporaryDirectory() as scratch:
        first = servers[0]
        token = first.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        _seed(first.url, token)
        client_key = _seed_flags(first.url, token)
        read_lua, write_lua, ofrep_lua = _scripts(Path(scratch), token, client_key)
        read = _together(servers, READ, read_lua, READ_CONNECTIONS, warm=True)
        write = _together(servers, EPICS_PATH, write_lua, WRITE_CONNECTIONS, warm=False)
        _check_stored(first.url, token, write)
        ofrep = _together(servers, OFREP, ofrep_lua, OFREP_CONNECTIONS, warm=True)
        propagation = _propagation([server.url for server in servers], token, client_key)
    measured = {"read": read, "write": write, "ofrep": ofrep}
    for runs in measured.values():
        assert all(run.refused == 0 for run in runs), runs
    figures = {name: _summed(runs) for name, runs in measured.items()} | {"propagation": propagation}
    each = {name: " + ".join(f"{run.per_second:,.0f}" for run in runs) for name, runs in measured.items()}
    print(f"  {count} server(s): {figures}; req/s of each server {each}", flush=True)
    return figures


@contextmanager
def _servers(url: str, count: int) -> Iterator[list[Server]]:
    """`count` servers on the database at `url`: the first migrates and sets it up, the others join it."""
    with ExitStack() as stack:
        first = stack.enter_context(running_server(url, settings=TRUSTING_LOOPBACK))
        yield [first, *(stack.enter_context(joining_server(first)) for _ in range(count - 1))]


def _scripts(folder: Path, token: str, client_key: str) -> tuple[Path, Path, Path]:
    """wrk's Lua scripts of the read, the write and the OFREP evaluation."""
    read, write, ofrep = folder / "read.lua", folder / "write.lua", folder / "ofrep.lua"
    read.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + AUTH_LUA + UNKEPT_LUA)
    write.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + POST_LUA)
    values = f"BODY = [[{CONTEXT}]]\nAUTHORIZATION = [[Bearer {client_key}]]\nADDRESSES = 2048\n"
    ofrep.write_text(values + OFREP_LUA)
    return read, write, ofrep


def _together(servers: list[Server], path: str, script: Path, connections: int, *, warm: bool) -> list[WrkRun]:
    """One wrk per server, all at once for the same time, `connections` split evenly among them (after as
    long a warm-up, all at once too, where `warm`)."""
    command = ["wrk", "-t1", f"-c{connections // len(servers)}", "-s", str(script)]
    with ThreadPoolExecutor(len(servers)) as pool:
        if warm:
            list(pool.map(lambda server: _wrk([*command, WARM, server.url + path]), servers))
        return list(pool.map(lambda server: _wrk([*command, DURATION, server.url + path]), servers))


def _summed(runs: list[WrkRun]) -> float:
    return sum(run.per_second for run in runs)


def _check_stored(url: str, token: str, write: list[WrkRun]) -> None:
    """Every answered write is in the store; a few more may be, answered after wrk stopped counting."""
    headers = {"Authorization": f"Bearer {token}"}
    # a query string no server has answered before, so the count comes from the store
    answer = httpx.get(f"{url}{EPICS_PATH}?limit=1&n=stored", headers=headers, timeout=30)
    answer.raise_for_status()
    answered = sum(run.requests for run in write)
    unanswered = int(answer.json()["total"]) - EPICS - answered
    assert 0 <= unanswered <= WRITE_CONNECTIONS, f"{answered} writes answered, {unanswered} more stored"


def _propagation(urls: list[str], token: str, client_key: str) -> float:
    """Seconds from a change's commit (its API answer through the first server) until every server's
    answers show it — while other clients keep every server's snapshot fresh (an idle server re-checks the
    store at its next request, which would show no delay at all)."""
    headers = {"Authorization": f"Bearer {client_key}", "Content-Type": "application/json"}
    with _busy([url + OFREP for url in urls], headers):
        time.sleep(2)  # every server has answered, and holds a snapshot it trusts for up to a second
        with httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
            api.post(FLAG_CHANGES, json={"enabled": False}).raise_for_status()
        return _seen_everywhere(urls, headers)


@contextmanager
def _busy(urls: list[str], headers: dict[str, str]) -> Iterator[None]:
    """Four clients evaluating the flag over keep-alive connections, spread over the servers in turn, until
    the block ends."""
    stop = threading.Event()

    def evaluate(client: int) -> None:
        # each client from an address of its own: one address is limited to 500 requests a second
        own = {**headers, "X-Forwarded-For": f"198.18.1.{client}"}
        with httpx.Client(headers=own, timeout=10) as http:
            while not stop.is_set():
                http.post(urls[client % len(urls)], content=CONTEXT)

    threads = [threading.Thread(target=evaluate, args=(client,), daemon=True) for client in range(4)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)


def _seen_everywhere(urls: list[str], headers: dict[str, str]) -> float:
    """Asks each server in turn until each has shown the change IN_A_ROW times running; the seconds from
    the call to the latest of the servers' first answers of those runs."""
    changed = time.perf_counter()
    since: list[float] = [0.0] * len(urls)
    in_a_row = [0] * len(urls)
    asked_times = 0
    with ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=url, headers=headers, timeout=10)) for url in urls]
        while min(in_a_row) < IN_A_ROW:
            for server, client in enumerate(clients):
                asked_times += 1
                asked = time.perf_counter()
                # a new address each time: a client asking this fast would reach one address's rate limit
                address = {"X-Forwarded-For": f"198.18.2.{asked_times % 250}"}
                answer = client.post(OFREP, content=CONTEXT, headers=address)
                answer.raise_for_status()
                shown = answer.json().get("reason") == "DISABLED"
                since[server] = since[server] if shown and in_a_row[server] else asked
                in_a_row[server] = in_a_row[server] + 1 if shown else 0
            if time.perf_counter() - changed > 30:
                raise RuntimeError(f"the change did not reach every server: {in_a_row} answers in a row show it")
    return max(since) - changed
