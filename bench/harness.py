"""Shared pieces: results, a real server in a subprocess, a bounded HTTP load loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


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

    def factory(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "digital_factory", *args], env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout


@contextmanager
def running_server() -> Iterator[Server]:
    """`factory serve` on a fresh embedded store, on a free loopback port; stopped afterwards."""
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        env = {**os.environ, "FACTORY_HOME": home, "FACTORY_PORT": str(port), "FACTORY_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [sys.executable, "-m", "digital_factory", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, process)
            yield Server(url=url, home=Path(home), env=env)
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
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
