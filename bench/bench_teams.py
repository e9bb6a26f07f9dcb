"""The catalog page of a catalog with 500 services and 1,000 dependencies (its first page of 50, grouped by
value stream, with the whole catalog's loops and warnings), rendered by the server, beside a static page of
the same size served by the same server process in the same run.

The store is seeded through the services; the server runs in its own process (uvicorn, like
`factory serve`) with one extra static mount holding a copy of the rendered page, so both requests pass
the same middleware and the same HTTP stack: the difference is the render.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import Result, free_port

SERVICES = 500
DEPENDENCIES = 1000
TEAMS = 25
STREAMS = 6
ROUNDS = 40
PAGE_SIZE = 50  # the web page's page of services
PASSWORD = "bench password for the catalog"  # noqa: S105  (a throwaway store)

LAUNCHER = """
import sys
import uvicorn
from fastapi.staticfiles import StaticFiles
from digital_factory.app.factory import create_app
from digital_factory.settings import Settings

settings = Settings()
app = create_app(settings)
app.mount("/bench-static", StaticFiles(directory=sys.argv[1]), name="bench-static")
uvicorn.run(app, host="127.0.0.1", port=settings.port, log_level="warning", log_config=None, **settings.proxy_options())
"""


def seed(home: Path, port: int) -> None:
    from digital_factory.accounts import service as accounts
    from digital_factory.accounts.schemas import Role, UserCreate
    from digital_factory.app.factory import build_runtime, prepare_store
    from digital_factory.catalog import service as catalog
    from digital_factory.catalog.schemas import DependencyCreate, ServiceCreate, ValueStreamCreate
    from digital_factory.core.actor import system_actor
    from digital_factory.settings import Settings
    from digital_factory.teams import service as teams
    from digital_factory.teams.schemas import TeamCreate, TeamType

    runtime = build_runtime(Settings(home=home, port=port))
    prepare_store(runtime)
    rng = random.Random(20261128)
    actor = system_actor("bench")
    with runtime.store.unit_of_work(actor) as uow:
        accounts.create_user(uow, UserCreate(username="bench", role=Role.PLATFORM, password=PASSWORD))
        team_keys = [f"team-{n:02d}" for n in range(TEAMS)]
        for n, key in enumerate(team_keys):
            teams.create_team(uow, TeamCreate(key=key, name=f"Team {n:02d}", team_type=list(TeamType)[n % 4]))
        stream_keys = [f"stream-{n}" for n in range(STREAMS)]
        for n, key in enumerate(stream_keys):
            catalog.create_value_stream(uow, ValueStreamCreate(key=key, name=f"Value stream {n}"))
        service_keys = [f"service-{n:03d}" for n in range(SERVICES)]
        for n, key in enumerate(service_keys):
            catalog.register_service(
                uow,
                ServiceCreate(
                    key=key,
                    name=f"Service {n:03d}",
                    owner_team=rng.choice(team_keys),
                    value_stream=rng.choice([*stream_keys, None]),
                ),
            )
        pairs: set[tuple[str, str]] = set()
        while len(pairs) < DEPENDENCIES:
            source, target = rng.sample(service_keys, 2)
            pairs.add((source, target))
        for source, target in sorted(pairs):
            catalog.add_dependency(uow, source, DependencyCreate(on=target, description="calls its API"))
    runtime.store.dispose()


def timed_ms(http: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = http.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as scratch:
        home, static = Path(scratch) / "home", Path(scratch) / "static"
        static.mkdir()
        seed(home, free_port())
        kept, size_kb = _measure(home, static, {})  # pages as the process keeps them (repeated loads)
        read, _ = _measure(home, static, {"FACTORY_READ_CACHE_ENTRIES": "0"})  # every load reads them
    label = f"catalog page, {SERVICES} services / {DEPENDENCIES:,} dependencies (GET /catalog, {PAGE_SIZE} a page"
    baseline = f"static page of the same size ({size_kb:,.0f} KiB, same server)"
    return [
        Result(f"{label}, median)", kept[0], "ms", baseline, kept[1], higher_is_better=False),
        Result(f"{label}, nothing kept, median)", read[0], "ms", baseline, read[1], higher_is_better=False),
    ]


def _measure(home: Path, static: Path, settings: dict[str, str]) -> tuple[tuple[float, float], float]:
    """(median catalog page ms, median static page ms) from a server with `settings`, and the page's KiB."""
    port = free_port()
    env = {**os.environ, "FACTORY_HOME": str(home), "FACTORY_PORT": str(port), "FACTORY_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(static)],
        env={**env, **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        with httpx.Client(base_url=base, timeout=30) as http:
            signed_in = http.post("/login", data={"username": "bench", "password": PASSWORD}, headers={"Origin": base})
            assert signed_in.status_code == 303, signed_in.text
            page = http.get("/catalog")
            assert page.status_code == 200 and f"showing 1–{PAGE_SIZE} of {SERVICES} services" in page.text
            (static / "catalog.html").write_text(page.text, encoding="utf-8")
            for _ in range(3):  # warm up both paths
                timed_ms(http, "/catalog")
                timed_ms(http, "/bench-static/catalog.html")
            rendered, copied = [], []
            for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits both alike
                rendered.append(timed_ms(http, "/catalog"))
                copied.append(timed_ms(http, "/bench-static/catalog.html"))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return (statistics.median(rendered), statistics.median(copied)), len(page.content) / 1024


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
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
