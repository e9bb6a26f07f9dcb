"""`factory serve` as several processes on one port (FACTORY_WORKERS > 1).

uvicorn's supervisor binds the socket once and starts each process fresh; every process builds its own
runtime from the environment, and the shared store keeps them consistent (flag snapshots re-check the
store's revision each `flag_refresh_seconds`, step leases and push claims are rows)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from digital_factory.cli import logs
from digital_factory.cli.config import server_config
from digital_factory.settings import Settings

WORKER_APP = "digital_factory.cli.processes:worker_app"


def serve_processes(settings: Settings) -> None:
    """Serve with `settings.workers` processes until stopped; exits 3 when the address is taken."""
    from uvicorn.supervisors import Multiprocess

    # the processes read their settings from the environment: the command line's address goes there too
    os.environ.update(FACTORY_HOST=settings.host, FACTORY_PORT=str(settings.port))
    # a process that has not answered the supervisor's ping in this time is replaced: a start (imports,
    # runtime) on a busy machine takes longer than uvicorn's 5 s
    config = server_config(WORKER_APP, settings, factory=True, workers=settings.workers, timeout_worker_healthcheck=60)
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn has logged why (the address is taken or not ours)
        raise SystemExit(3) from None
    Multiprocess(config, sockets=[sock]).run()


def worker_app() -> FastAPI:
    """One serving process's app (called by uvicorn in that process)."""
    from digital_factory.app.factory import create_app

    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings)
