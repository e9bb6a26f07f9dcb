"""`factory demo` as a newcomer runs it, in a real process: the whole story to the board pack, the live
fleet, Ctrl-C, and `--keep` serving the same data again with the fleet resuming."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from tests.browser import free_port
from tests.processes import eventually

STEPS = (
    "the fleet flies 24 h, heavy-lift mode on 10 % of the drones",
    "EPIC-1: at-risk",
    "heavy-lift mode to 100 % in prod",
    "EPIC-1: validated, 2/3 indicators met; advice: persevere",
    "the board perseveres with EPIC-1",
    "the board pack is written: board-pack-",
)


def _demo(home: Path, port: int, *flags: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTORY_HOME": str(home), "COLUMNS": "200", "FACTORY_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "digital_factory", "demo", "--home", str(home / "demo"), "--port", str(port)]
    return subprocess.Popen(
        [*command, "--fast", *flags], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _points(home: Path) -> int:
    with sqlite3.connect(home / "demo" / "factory.db") as db:
        return int(db.execute("SELECT count(*) FROM telemetry_point").fetchone()[0])


def _rows(home: Path, table: str) -> int:
    with sqlite3.connect(home / "demo" / "factory.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _ready(process: subprocess.Popen[str]) -> list[str]:
    """The lines printed up to 'The drone fleet keeps flying' (the demo is ready and serving)."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip())
        if line.startswith("The drone fleet keeps flying"):
            return lines
    process.wait(timeout=30)
    raise AssertionError("the demo ended before it was ready:\n" + "\n".join(lines))


def _interrupt(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=90)
    return out


def test_the_demo_plays_the_whole_loop_serves_it_live_and_keeps_it(tmp_path: Path) -> None:
    port = free_port()
    first = _demo(tmp_path, port)
    try:
        lines = _ready(first)
        printed = "\n".join(lines)
        for step in STEPS:
            assert step in printed
        assert f"ready at http://127.0.0.1:{port}" in printed
        assert "with password " in printed
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        before = _points(tmp_path)
        eventually("live telemetry", lambda: True if _points(tmp_path) > before else None, timeout=60)
    finally:
        out = _interrupt(first)
    assert "stopping: the fleet lands" in out
    assert list((tmp_path / "demo").glob("board-pack-*.html"))
    epics, decisions = _rows(tmp_path, "portfolio_epic"), _rows(tmp_path, "portfolio_decision")

    again = _demo(tmp_path, port, "--keep")
    try:
        printed = "\n".join(_ready(again))
        assert "the password printed when this demo was first played" in printed
        assert not any(step in printed for step in STEPS)  # nothing replayed
        assert (_rows(tmp_path, "portfolio_epic"), _rows(tmp_path, "portfolio_decision")) == (epics, decisions)
        before = _points(tmp_path)
        eventually("the fleet resuming", lambda: True if _points(tmp_path) > before else None, timeout=60)
    finally:
        _interrupt(again)
