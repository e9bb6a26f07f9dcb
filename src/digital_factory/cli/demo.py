"""`factory demo`: the drone story played into a fresh embedded store and then served, the fleet flying live.

The story's first half is seeded through the domain services before the server opens (the people, the
portfolio, the teams, onboarding, pipelines, flags); its last act runs against the open server through its
public doors (REST API, OTLP, OFREP; demo/closing.py). A folder whose story was played to the end carries a
marker file, so `--keep` serves it again and the fleet resumes instead of starting over."""

from __future__ import annotations

import logging
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from digital_factory import __version__
from digital_factory.cli.output import console, domain_errors, err_console, say

if TYPE_CHECKING:
    from uvicorn import Server

    from digital_factory.app.factory import Runtime
    from digital_factory.demo.loop import Doors, Pace
    from digital_factory.settings import Settings

READY_MARKER = "demo-complete"  # written once the whole story was played into the folder


def run_demo(settings: Settings, *, serve: bool, fast: bool, keep: bool) -> None:
    from digital_factory.app.factory import build_runtime, create_app, prepare_store
    from digital_factory.cli import logs
    from digital_factory.demo.loop import Pace

    home = settings.home
    kept = keep and (home / READY_MARKER).exists()
    if keep and not kept:
        say("No finished demo in", home, "- playing the story afresh.")
    if not kept and home.exists():
        shutil.rmtree(home)
    logs.configure(settings.log_level, settings.log_format)
    for chatty in ("httpx", "uvicorn.error"):  # the progress lines tell the story; warnings still show
        logging.getLogger(chatty).setLevel(logging.WARNING)
    pace = Pace.fast() if fast else Pace()
    runtime = build_runtime(settings)
    with domain_errors():
        admin = prepare_store(runtime, one_time_admin_password=False)
    password = admin.one_time_password if admin is not None else None
    serving = _start(create_app(settings, runtime=runtime), settings)
    try:
        doors = _resume(runtime, settings.effective_public_url) if kept else _play(runtime, settings, password, pace)
        _ready(settings, password)
        if serve:
            _live(serving, doors, pace)
    finally:
        serving.stop()


def _play(runtime: Runtime, settings: Settings, password: str | None, pace: Pace) -> Doors:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from digital_factory.demo.closing import close_the_loop
    from digital_factory.demo.story import play

    assert password is not None  # a fresh store's first admin
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("the drone-company story", total=None)
        last: list[str] = []

        def report(title: str) -> None:
            if last:
                progress.console.print(Text.assemble(("✓ ", "green"), last[0]), highlight=False)
                last.clear()
            last.append(title)
            progress.update(task, description=title)

        ctx = play(runtime, password, report)
        closing = close_the_loop(ctx, settings.effective_public_url, pace, report)
        report("")
    (settings.home / READY_MARKER).write_text(f"{__version__}\n", encoding="utf-8")
    say(f"The story was played in {time.monotonic() - started:.0f} s.")
    return closing.doors


def _resume(runtime: Runtime, url: str) -> Doors:
    """A kept demo: the people make fresh tokens and keys (the earlier ones were shown only once)."""
    from digital_factory.accounts import service as accounts
    from digital_factory.core.actor import Origin, system_actor
    from digital_factory.demo.loop import open_doors
    from digital_factory.demo.story import DemoContext

    ctx = DemoContext(runtime=runtime)
    with runtime.store.unit_of_work(system_actor("demo"), write=False) as uow:
        for username in ("pm", "flight", "board"):
            ctx.actors[username] = accounts.actor_for(accounts.get_user(uow, username), origin=Origin.DEMO)
    return open_doors(ctx, url)


def _ready(settings: Settings, password: str | None) -> None:
    console.print(
        Text.assemble(
            ("Digital Factory ", "bold"), f"{__version__} is ready at ", (settings.effective_public_url, "link")
        )
    )
    say("Data folder:", settings.home)
    people = "admin, board, pm, flight, power, engines or platform"
    if password:
        console.print(Text.assemble("Sign in as ", (people, "bold"), " with password ", (password, "bold"), "."))
    else:
        say(f"Sign in as {people} with the password printed when this demo was first played.")


@dataclass(frozen=True)
class Serving:
    """The server running in a thread of its own (the main thread keeps Ctrl-C)."""

    server: Server
    thread: threading.Thread

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.server.should_exit

    def stop_soon(self) -> None:
        self.server.should_exit = True

    def stop(self) -> None:
        self.stop_soon()
        self.thread.join(timeout=30)


def _start(app: object, settings: Settings) -> Serving:
    """Start the server and return once it listens."""
    import uvicorn

    from digital_factory.cli.config import server_config

    # no access log: the progress lines are the demo's story; the server's own log stays on
    server = uvicorn.Server(server_config(app, settings, access_log=False))
    serving = Serving(server, threading.Thread(target=server.run, name="factory-server", daemon=True))
    serving.thread.start()
    while not serving.server.started:
        if not serving.thread.is_alive():
            raise SystemExit(f"the server could not start on {settings.host}:{settings.port}")
        time.sleep(0.05)
    return serving


def _live(serving: Serving, doors: Doors, pace: Pace) -> None:
    """The fleet keeps flying while the server runs; Ctrl-C stops both (the data stays for `--keep`)."""
    from digital_factory.demo.loop import fly_live

    stop = threading.Event()
    fleet = threading.Thread(target=fly_live, args=(doors, pace, stop), name="demo-fleet", daemon=True)
    fleet.start()
    say("The drone fleet keeps flying and reporting. Press Ctrl-C to stop; `factory demo --keep` resumes.")
    # A service manager stops with SIGTERM: the same orderly landing as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: serving.stop_soon())
    try:
        while serving.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        err_console.print("stopping: the fleet lands, the server closes", highlight=False)
    finally:
        stop.set()
        fleet.join(timeout=60)
