"""API writes under 64 concurrent clients (`wrk -t1 -c64 -d15s --latency`, `POST /api/v1/epics` with a
token: key allocation, the epic, its audit row and history, events after commit) beside raw inserts of the
same rows into the same store (one `INSERT` and `COMMIT` a row, into a plain copy of the epic table without
its keys to other tables), on SQLite and PostgreSQL. Every 201 must be stored."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
from sqlalchemy import Column, Engine, MetaData, Table, func, insert, select

from bench.harness import Result, WrkRun, _wrk, each_database, running_server, seconds

WRITE = ["wrk", "-t1", "-c64", "-d15s", "--latency"]
WARM = ["wrk", "-t1", "-c64", "-d3s"]
POST_LUA = (
    'wrk.method = "POST"\nwrk.body = [[{"title": "Bench epic", "description": "Written under load"}]]\n'
    'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = AUTHORIZATION\n'
)
EPICS = "portfolio_epic"


def run() -> list[Result]:
    return [_one(backend, url) for backend, url in each_database()]


def _one(backend: str, url: str | None) -> Result:
    from digital_factory.store.engine import make_engine

    with running_server(url) as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        _post(server.url, token, WARM)
        before = _stored(server.url, token)
        load = _post(server.url, token, WRITE)
        stored = _stored(server.url, token) - before
        assert load.refused == 0 and stored >= load.requests, (load, stored)
        engine = make_engine(url or f"sqlite:///{server.home / 'factory.db'}")
        try:
            raw = _raw_inserts(engine, load.requests)
        finally:
            engine.dispose()
    label = (
        f"API write (POST /api/v1/epics, wrk -t1 -c64 -d15s, {backend}; p99 {load.p99_ms:,.0f} ms, "
        f"{stored:,} stored for {load.requests:,} answered)"
    )
    return Result(label, load.per_second, "req/s", "raw INSERT + COMMIT of the same rows, same store", raw)


def _post(url: str, token: str, command: list[str]) -> WrkRun:
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(f"AUTHORIZATION = [[Bearer {token}]]\n" + POST_LUA)
        return _wrk([*command, "-s", str(script), url + "/api/v1/epics"])


def _stored(url: str, token: str) -> int:
    answer = httpx.get(url + "/api/v1/epics?limit=1", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    answer.raise_for_status()
    return int(answer.json()["total"])


def _raw_inserts(engine: Engine, count: int) -> float:
    """Rows per second: the epics the API stored, inserted again one transaction each."""
    epics = Table(EPICS, MetaData(), autoload_with=engine)
    plain = Table(
        "bench_plain_epic",
        MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False) for c in epics.columns),
    )
    plain.create(engine)
    try:
        with engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(select(epics).limit(count))]
            assert connection.execute(select(func.count()).select_from(epics)).scalar_one() >= len(rows)

        def insert_each() -> None:
            for row in rows:
                with engine.begin() as connection:
                    connection.execute(insert(plain), row)

        return len(rows) / seconds(insert_each)
    finally:
        plain.drop(engine)
