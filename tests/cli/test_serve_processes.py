"""`factory serve --workers N`: N processes on one port behind one PostgreSQL, each with its own runtime,
starting together on a fresh store; a flag change made through one reaches every process's OFREP answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.processes import admin_token, eventually, factory_server, server_settings

SECRET = "serve-processes-test-secret-key"
SINGLE = "/ofrep/v1/evaluate/flags/lift-assist"
CHANGES = "/services/flight-control/flags/lift-assist/environments/dev/changes"


def test_several_processes_need_an_external_database(tmp_path: Path) -> None:
    env = {**os.environ, "FACTORY_HOME": str(tmp_path), "FACTORY_SECRET_KEY": SECRET}
    env.pop("FACTORY_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "digital_factory", "serve", "--workers", "2"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "several server processes need an external database: set FACTORY_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_two_processes_serve_one_port_and_see_each_others_flag_changes(tmp_path: Path, postgres_database: str) -> None:
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_database)
    settings = server_settings(tmp_path / "home", postgres_database, SECRET)
    url = settings.effective_public_url
    with factory_server(settings, SECRET, tmp_path / "server.log", FACTORY_WORKERS="2") as parent:
        assert len(eventually("two serving processes", lambda: _children(parent.pid) or None)) == 2
        token = admin_token(settings.home, postgres_database, SECRET)
        with httpx.Client(base_url=url + "/api/v1", headers={"Authorization": f"Bearer {token}"}) as api:
            api.post("/services", json={"key": "flight-control", "name": "Flight control"}).raise_for_status()
            api.post("/services/flight-control/flags", json={"key": "lift-assist"}).raise_for_status()
            key = api.post("/services/flight-control/client-keys", json={"environment": "dev"}).json()["secret"]
            assert _reasons(url, key) == {"DISABLED"}
            api.post(CHANGES, json={"enabled": True}).raise_for_status()
        # every process answers with the change once its snapshot's refresh interval has passed
        eventually("the change in every process", lambda: _reasons(url, key) == {"STATIC"} or None)
    # both started on the fresh store at once (they take turns preparing the built-in templates) and stopped
    started = (tmp_path / "server.log").read_text()
    assert "Traceback" not in started and "Application startup failed" not in started
    assert started.count("Finished server process") == 2


def _children(pid: int) -> list[int]:
    """The serving processes under uvicorn's supervisor (spawned interpreters running the app)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"multiprocessing" in command and b"resource_tracker" not in command:
            found.append(int(stat.parent.name))
    return found


def _reasons(url: str, key: str) -> set[str]:
    """Each answer on a new connection, so that both processes take some of them."""
    answers = [
        httpx.post(url + SINGLE, headers={"Authorization": f"Bearer {key}"}, json={"context": {}}) for _ in range(20)
    ]
    return {answer.json()["reason"] for answer in answers}
