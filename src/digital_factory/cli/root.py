"""Command tree: `factory serve|demo|worker`, `factory db …`, `factory admin …`, `factory token …`,
`factory settings show`, and resource commands (`factory <noun> <verb>`) that talk to the REST API."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from digital_factory import __version__
from digital_factory.cli import business as business_cli
from digital_factory.cli import delivery as delivery_cli
from digital_factory.cli import insights as insights_cli
from digital_factory.cli import insights_hypotheses as hypothesis_cli
from digital_factory.cli import integrations as integrations_cli
from digital_factory.cli import logs, releases, simulate
from digital_factory.cli import platform as platform_cli
from digital_factory.cli import portfolio as portfolio_cli
from digital_factory.cli import report as report_cli
from digital_factory.cli import telemetry as telemetry_cli
from digital_factory.cli.catalog import service_app, value_stream_app
from digital_factory.cli.config import load_settings, server_config
from digital_factory.cli.doctor import doctor
from digital_factory.cli.output import console, domain_errors, err_console, fail, literal, print_table, say
from digital_factory.cli.processes import serve_processes
from digital_factory.cli.resources import audit_app, user_app
from digital_factory.cli.store import admin_app, db_app, token_app
from digital_factory.cli.teams import team_app
from digital_factory.settings import Settings, masked_values

if TYPE_CHECKING:
    pass

app = typer.Typer(
    help="Digital Factory: the whole product loop in one place.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
settings_app = typer.Typer(help="Effective settings.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (admin_app, "admin"),
    (token_app, "token"),
    (settings_app, "settings"),
    (user_app, "user"),
    (audit_app, "audit"),
    (team_app, "team"),
    (service_app, "service"),
    (value_stream_app, "value-stream"),
):
    app.add_typer(sub, name=name)
platform_cli.install(app, team_app)
delivery_cli.register(app)
app.command()(doctor)
app.add_typer(releases.app, name="flag")
app.add_typer(telemetry_cli.app, name="telemetry")
app.add_typer(business_cli.app, name="business")
app.add_typer(insights_cli.app, name="insights")
app.add_typer(simulate.app, name="simulate")
app.add_typer(integrations_cli.app, name="integration")
app.add_typer(report_cli.app, name="report")
app.add_typer(hypothesis_cli.app, name="hypothesis")
for portfolio_typer in portfolio_cli.COMMANDS:  # theme, epic, feature, story
    app.add_typer(portfolio_typer)


def _version(value: bool) -> None:
    if value:
        console.print(f"digital-factory {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Digital Factory."""


# --- server --------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (FACTORY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (FACTORY_PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes on the one port (FACTORY_WORKERS; more than one needs PostgreSQL)."),
    ] = None,
) -> None:
    """Run the server: web UI, REST API, ingestion and OFREP on one port."""
    settings = load_settings(host=host, port=port, workers=workers)
    if settings.workers > 1 and settings.is_embedded_store:
        raise fail("several server processes need an external database: set FACTORY_DATABASE_URL", 2)
    _serve(settings, one_time_admin_password=True)


@app.command()
def demo(
    home: Annotated[
        Path | None,
        typer.Option(help="Data folder for the demo (default: `demo` in FACTORY_HOME); it is emptied first."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Play the story, print the login, and exit (no live fleet).")
    ] = False,
    fast: Annotated[bool, typer.Option("--fast", help="A smaller fleet in coarser rounds (for tests).")] = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Serve the demo already played in the folder; the fleet resumes.")
    ] = False,
) -> None:
    """Play the drone-company story, from the board's themes to the board pack, into a fresh embedded store
    through the product's own doors, then serve it with the drone fleet flying live."""
    from digital_factory.cli.demo import run_demo

    base = load_settings()
    settings = load_settings(home=home or base.home / "demo", port=port)
    run_demo(settings.model_copy(update={"database_url": None}), serve=not no_serve, fast=fast, keep=keep)


def _serve(settings: Settings, *, one_time_admin_password: bool) -> None:
    import uvicorn

    from digital_factory.app.factory import build_runtime, create_app, prepare_store

    logs.configure(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    with domain_errors():
        admin = prepare_store(runtime, one_time_admin_password=one_time_admin_password)
    console.print(
        Text.assemble((f"Digital Factory {__version__}", "bold"), " at ", (settings.effective_public_url, "link"))
    )
    say("Data folder:", settings.home)
    if admin is not None:
        note = "" if not admin.user.must_change_password else " (one-time: you choose your own at first sign-in)"
        console.print(
            Text.assemble(
                "Sign in as ",
                (admin.user.username, "bold"),
                " with password ",
                (admin.one_time_password or "", "bold"),
                f"{note}. It is shown only now.",
            )
        )
    if settings.workers > 1:  # each process builds its own runtime; this one only prepared the store
        runtime.executor.stop()
        runtime.store.dispose()
        serve_processes(settings)
        return
    server = uvicorn.Server(server_config(create_app(settings, runtime=runtime), settings))
    server.run()
    if not server.started:  # as uvicorn.run: the address was taken, or start-up failed (logged)
        raise SystemExit(3)


# --- settings --------------------------------------------------------------------------------------


@settings_app.command("show")
def settings_show() -> None:
    """Print the effective settings, secrets masked."""
    values = masked_values(load_settings())
    print_table(
        ["setting", "environment variable", "value"], ([n, f"FACTORY_{n.upper()}", v] for n, v in values.items())
    )


def run() -> None:
    try:
        app()
    except Exception as exc:  # a bug: one line for the user, the trace only on request
        if os.environ.get("FACTORY_DEBUG"):
            raise
        err_console.print(
            Text("internal error: ", style="bold red"),
            literal(f"{type(exc).__name__}: {exc}\n"),
            "Run again with FACTORY_DEBUG=1 for the full trace, and please report it.",
            sep="",
            highlight=False,
        )
        sys.exit(70)
