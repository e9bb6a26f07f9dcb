"""Shared pieces: results, a real server in a subprocess, a bounded HTTP load loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import Engine, Table

if TYPE_CHECKING:
    from digital_factory.app.factory import Runtime


@dataclass(frozen=True)
class Result:
    name: str
    figure: float
    unit: str
    baseline_name: str
    baseline: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        """The result: the figure relative to its baseline (absolute numbers on a shared box are noise)."""
        return self.figure / self.baseline if self.baseline else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    home: Path
    env: dict[str, str]
    pid: int

    def factory(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "digital_factory", *args], env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout


@contextmanager
def running_server(database_url: str | None = None, *, settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """`factory serve` on a free loopback port, on a fresh embedded store or the (migrated here) database at
    `database_url`, with `settings` (FACTORY_ variables) on top of this environment; stopped afterwards."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, **(settings or {})}
        env.update(FACTORY_HOME=home, FACTORY_LOG_LEVEL="WARNING")
        if database_url is not None:
            env["FACTORY_DATABASE_URL"] = database_url
            subprocess.run([sys.executable, "-m", "digital_factory", "db", "upgrade"], env=env, check=True)
        with _serving(env) as server:
            yield server


@contextmanager
def joining_server(first: Server) -> Iterator[Server]:
    """Another `factory serve` on the external database of `first` (neither migrated nor set up again), as a
    second machine behind a load balancer: its own port and data folder, the same settings and secret key
    (tokens and client keys made through either are valid on both); stopped afterwards."""
    from digital_factory.settings import SECRET_KEY_FILE

    if "FACTORY_DATABASE_URL" not in first.env:
        raise ValueError("servers share only an external database")
    key = first.env.get("FACTORY_SECRET_KEY") or (first.home / SECRET_KEY_FILE).read_text().strip()
    with (
        tempfile.TemporaryDirectory() as home,
        _serving({**first.env, "FACTORY_HOME": home, "FACTORY_SECRET_KEY": key}) as server,
    ):
        yield server


@contextmanager
def _serving(env: Mapping[str, str]) -> Iterator[Server]:
    port = free_port()
    env = {**env, "FACTORY_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "digital_factory", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Server(url=url, home=Path(env["FACTORY_HOME"]), env=env, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become ready")


def requests_per_second(send: Callable[[httpx.Client], None], *, requests: int = 2000, concurrency: int = 8) -> float:
    """Send a bounded number of requests from `concurrency` threads; returns completed requests per second."""
    per_worker = requests // concurrency

    def worker() -> None:
        with httpx.Client(timeout=10) as http:
            for _ in range(per_worker):
                send(http)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    return per_worker * concurrency / (time.perf_counter() - started)


POSTGRES_URL = os.environ.get("FACTORY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """A fresh PostgreSQL database on the bench server (None when none answers), dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"factory_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def store_runtime(backend: str) -> Iterator[Runtime | None]:
    """The product's runtime on a fresh, migrated store of `backend` (None: PostgreSQL is not reachable)."""
    from digital_factory.app.factory import build_runtime, prepare_store
    from digital_factory.settings import Settings
    from digital_factory.store import schema

    with tempfile.TemporaryDirectory() as home, database(backend) as url:
        if backend == "postgresql" and url is None:
            yield None
            return
        settings = Settings(home=Path(home), database_url=url, public_url="http://bench", log_level="WARNING")
        runtime = build_runtime(settings)
        try:
            schema.upgrade(runtime.store.engine)
            prepare_store(runtime)
            yield runtime
        finally:
            runtime.executor.stop()
            runtime.store.dispose()


def each_store() -> Iterator[tuple[str, Runtime]]:
    """A fresh store of each backend in turn (PostgreSQL is skipped, saying so, when none answers)."""
    for backend in BACKENDS:
        with store_runtime(backend) as runtime:
            if runtime is None:
                print(f"  {backend}: not reachable, skipped")
                continue
            yield backend, runtime


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    """None for the embedded store; a scratch PostgreSQL database's URL (None where none answers)."""
    if backend == "sqlite":
        yield None
    else:
        with scratch_postgres() as url:
            yield url


def each_database() -> Iterator[tuple[str, str | None]]:
    """Each backend with its store's URL (None: a fresh embedded store), PostgreSQL skipped, saying so, when
    none answers; for benches that start servers of their own."""
    for backend in BACKENDS:
        with database(backend) as url:
            if backend != "sqlite" and url is None:
                print(f"  {backend}: not reachable, skipped")
                continue
            yield backend, url


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def plain_points(engine: Engine) -> Table:
    """A plain table of telemetry_point's shape ((series, time) key, value, buckets; no foreign key, no
    rollups), made in `engine`'s store: what a raw batched insert baseline writes into."""
    from sqlalchemy import JSON, BigInteger, Column, Float, MetaData

    table = Table(
        "bench_plain_point",
        MetaData(),
        Column("series_id", BigInteger, primary_key=True, autoincrement=False),
        Column("time_ns", BigInteger, primary_key=True, autoincrement=False),
        Column("value", Float),
        Column("buckets", JSON),
    )
    table.create(engine)
    return table


WRK_LUA = """
local bodies, counter, threads_n, next_id = {}, 0, 1, 0
function setup(thread) thread:set("id", next_id); next_id = next_id + 1 end
function init(args)
  threads_n = tonumber(args[1])
  local f = io.open(args[2], "rb"); local data = f:read("*a"); f:close()
  for line in io.lines(args[3]) do
    local s, l, rest = line:match("^(%d+) (%d+) ?(.*)$")
    local headers = {}
    for name, value in rest:gmatch("([^\\t=]+)=([^\\t]*)") do headers[name] = value end
    table.insert(bodies, {data:sub(tonumber(s) + 1, tonumber(s) + tonumber(l)), headers})
  end
end
function request()
  local i = id + counter * threads_n
  counter = counter + 1
  local body = bodies[(i % #bodies) + 1]
  local headers = {}
  for name, value in pairs(body[2]) do headers[name] = value:gsub("{request}", tostring(i)) end
  return wrk.format("POST", args_path, headers, body[1])
end
"""


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    refused: int  # answers other than 2xx/3xx
    p99_ms: float | None = None  # with wrk --latency

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk_post(
    url: str, path: str, bodies: list[tuple[bytes, dict[str, str]]], *, duration: int = 10, connections: int = 4
) -> WrkRun:
    """POST the prepared bodies (each with its own headers; `{request}` in a header value becomes a number
    unique to the request) with wrk, 2 threads walking the bodies without overlap."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        script, data, index = folder / "post.lua", folder / "bodies.bin", folder / "bodies.idx"
        script.write_text(f'args_path = "{path}"\n' + WRK_LUA)
        offset = 0
        with data.open("wb") as out, index.open("w") as offsets:
            for body, headers in bodies:
                out.write(body)
                pairs = "\t".join(f"{name}={value}" for name, value in headers.items())
                offsets.write(f"{offset} {len(body)} {pairs}\n")
                offset += len(body)
        command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", str(script), url, "--", "2"]
        return _wrk([*command, str(data), str(index)])


def wrk_get(url: str, *, duration: int = 10, connections: int = 4) -> WrkRun:
    """GET `url` with wrk, 2 threads: the bare-endpoint baseline of the wrk benches."""
    return _wrk(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url])


def _wrk(command: list[str]) -> WrkRun:
    import re

    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if done is None:
        raise RuntimeError(f"unexpected wrk output: {output}")
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    took = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)] if p99 else None
    return WrkRun(int(done.group(1)), took, int(refused.group(1)) if refused else 0, p99_ms)
