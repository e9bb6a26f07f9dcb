"""OFREP single-flag evaluation under `wrk -t1 -c32 -d5s`, beside two baselines measured in the same run, one
server at a time: a bare ASGI endpoint under uvicorn (the machine's ceiling for a Python HTTP answer) and the
Unleash server's frontend API (npm `unleash-server`, on its own scratch PostgreSQL database).

The factory runs with its default rate limits and trusts 127.0.0.1 as a proxy; wrk spreads the requests of one
client key over 2,048 forwarded addresses, as the browsers behind one shared frontend key would be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.bench_flags import _seed
from bench.harness import Result, WrkRun, _wrk, free_port, running_server, scratch_postgres

WRK = ["wrk", "-t1", "-c32", "-d5s"]
WARM = ["wrk", "-t1", "-c32", "-d2s"]
NODE_WARM = ["wrk", "-t1", "-c32", "-d10s"]  # Node's JIT and Unleash's caches settle first
CONTEXT = '{"context":{"targetingKey":"drone-42","plan":"pro","appVersion":"2.5.0"}}'
UNLEASH_VERSION = "7.5.1"  # the last release that runs on Node 20 (Debian's)
UNLEASH_CACHE = Path(os.environ.get("FACTORY_BENCH_CACHE", Path.home() / ".cache" / "digital-factory-bench"))
# the factory believes X-Forwarded-For from 127.0.0.1, where wrk stands in for a reverse proxy
TRUSTING_LOOPBACK = {"FACTORY_TRUSTED_PROXIES": "127.0.0.1"}
UNLEASH_ADMIN = "*:*.bench-admin-token"
UNLEASH_FRONTEND = "default:development.bench-frontend-token"

# Requests prepared once (a Lua request() that formats each request would load wrk's own core).
POST_LUA = """
local requests, n = {}, 0
function init(args)
  wrk.method = "POST"
  wrk.body = BODY
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = AUTHORIZATION
  for i = 0, ADDRESSES - 1 do
    if ADDRESSES > 1 then
      wrk.headers["X-Forwarded-For"] = string.format("198.18.%d.%d", math.floor(i / 256), i % 256)
    end
    requests[#requests + 1] = wrk.format()
  end
end
function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
"""


def _wrk_post(url: str, authorization: str, body: str, *, addresses: int = 1, warm: list[str] = WARM) -> WrkRun:
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "post.lua"
        values = f"BODY = [[{body}]]\nAUTHORIZATION = [[{authorization}]]\nADDRESSES = {addresses}\n"
        script.write_text(values + POST_LUA)
        _wrk([*warm, "-s", str(script), url])
        return _wrk([*WRK, "-s", str(script), url])


def _wrk_get(url: str) -> WrkRun:
    _wrk([*WARM, url])
    return _wrk([*WRK, url])


@contextmanager
def _process(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def bare_asgi() -> WrkRun:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.bare_asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--lifespan", "off", "--log-level", "warning", "--no-access-log"]
    root = Path(__file__).resolve().parent.parent
    with _process(command, {**os.environ, "PYTHONPATH": str(root)}, cwd=root) as process:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, process, timeout=30)
        return _wrk_get(url)


def ofrep() -> WrkRun:
    with running_server(settings=TRUSTING_LOOPBACK) as server:
        token = server.factory("token", "create", "--user", "admin", "--name", "bench").strip()
        client_key = _seed(server.url, token)
        url = server.url + "/ofrep/v1/evaluate/flags/heavy-lift-mode"
        return _wrk_post(url, f"Bearer {client_key}", CONTEXT, addresses=2048)


def _unleash_installed() -> Path:
    folder = UNLEASH_CACHE / f"unleash-server-{UNLEASH_VERSION}"
    entry = folder / "node_modules" / "unleash-server" / "dist" / "server.js"
    if not entry.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"name": "unleash-bench", "private": true}\n')
        install = ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", f"unleash-server@{UNLEASH_VERSION}"]
        subprocess.run(install, cwd=folder, check=True, capture_output=True)
    return entry


def _unleash_flag(url: str) -> None:
    """A 30 % rollout flag enabled in development, through the admin API; waits until the frontend API
    serves it (its cache refreshes in the background)."""
    feature = url + "/api/admin/projects/default/features"
    with httpx.Client(headers={"Authorization": UNLEASH_ADMIN}, timeout=30) as admin:
        admin.post(feature, json={"name": "heavy-lift-mode"}).raise_for_status()
        strategy = {"name": "flexibleRollout", "parameters": {"rollout": "30", "stickiness": "default", "groupId": "x"}}
        environment = feature + "/heavy-lift-mode/environments/development"
        admin.post(environment + "/strategies", json=strategy).raise_for_status()
        admin.post(environment + "/on").raise_for_status()
    frontend = {"Authorization": UNLEASH_FRONTEND}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers = [
            httpx.post(url + "/api/frontend", headers=frontend, json={"context": {"userId": f"drone-{i}"}}).json()
            for i in range(20)
        ]
        if any(answer["toggles"] for answer in answers):
            return
        time.sleep(0.5)
    raise RuntimeError("the frontend API never served the flag")


def unleash() -> WrkRun | str:
    """The Unleash frontend API's figure, or why it could not be measured."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed (apt-get install nodejs npm)"
    try:
        entry = _unleash_installed()
    except subprocess.CalledProcessError as exc:
        return f"npm install unleash-server@{UNLEASH_VERSION} failed: {exc.stderr.decode()[-500:]}"
    with scratch_postgres() as database:
        if database is None:
            return "no PostgreSQL answers for its database"
        from sqlalchemy.engine import make_url

        port = free_port()
        env = {
            **os.environ,
            "PORT": str(port),
            "DATABASE_URL": make_url(database).set(drivername="postgresql").render_as_string(False),
            "INIT_ADMIN_API_TOKENS": UNLEASH_ADMIN,
            "INIT_FRONTEND_API_TOKENS": UNLEASH_FRONTEND,
            "DATABASE_SSL": "false",
            "CHECK_VERSION": "false",  # no calls home: the bench stays on this machine
            "SEND_TELEMETRY": "false",
            "LOG_LEVEL": "error",
            "TZ": "UTC",
        }
        url = f"http://127.0.0.1:{port}"
        try:
            with _process(["node", str(entry)], env) as process:
                _wait_for(url + "/health", process)
                _unleash_flag(url)
                context = '{"context":{"userId":"drone-42","properties":{"plan":"pro","appVersion":"2.5.0"}}}'
                return _wrk_post(url + "/api/frontend", UNLEASH_FRONTEND, context, warm=NODE_WARM)
        except (RuntimeError, httpx.HTTPError) as exc:
            return f"Unleash {UNLEASH_VERSION} did not run: {exc}"


def run() -> list[Result]:
    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): skipped")
        return []
    print(f"  load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    bare = bare_asgi()
    flags = ofrep()
    other = unleash()
    print(f"  wrk -t1 -c32 -d5s: bare ASGI {bare.requests} requests; OFREP {flags.requests}, {flags.refused} not 2xx")
    name = "OFREP single flag, default rate limits, one key from 2,048 addresses (wrk -t1 -c32 -d5s)"
    results = [Result(name, flags.per_second, "req/s", "bare ASGI endpoint under uvicorn", bare.per_second)]
    if isinstance(other, str):
        print(f"  Unleash server: not measured: {other}")
    else:
        print(f"  Unleash frontend API: {other.requests} requests, {other.refused} not 2xx")
        baseline = f"Unleash server {UNLEASH_VERSION} frontend API (POST /api/frontend, 1 flag), own PostgreSQL"
        results.append(Result(name, flags.per_second, "req/s", baseline, other.per_second))
    print(f"  load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return results
