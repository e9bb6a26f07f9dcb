"""Command tree: `factory serve|demo|worker`, `factory db …`, `factory admin …`, `factory token …`,
`factory settings show`, and resource commands (`factory <noun> <verb>`) that talk to the REST API."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from digital_factory import __version__
from digital_factory.cli import logs
from digital_factory.cli import portfolio as portfolio_cli
from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors, err_console, fail
from digital_factory.settings import Settings, masked_values

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from digital_factory.app.factory import Runtime
    from digital_factory.core.actor import Actor

app = typer.Typer(
    help="Digital Factory: the whole product loop in one place.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
admin_app = typer.Typer(
    help="Administration directly on the store (run on the server's machine).", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
settings_app = typer.Typer(help="Effective settings.", no_args_is_help=True)
user_app = typer.Typer(help="Users (through the REST API).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log (through the REST API).", no_args_is_help=True)
team_app = typer.Typer(help="Teams (through the REST API).", no_args_is_help=True)
service_app = typer.Typer(help="The service catalog (through the REST API).", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (admin_app, "admin"),
    (token_app, "token"),
    (settings_app, "settings"),
    (user_app, "user"),
    (audit_app, "audit"),
    (team_app, "team"),
    (service_app, "service"),
):
    app.add_typer(sub, name=name)
for portfolio_typer in portfolio_cli.COMMANDS:  # theme, epic, feature, story
    app.add_typer(portfolio_typer)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"FACTORY_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise fail(f"invalid settings: {problems}", 2) from None


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
) -> None:
    """Run the server: web UI, REST API, ingestion and OFREP on one port."""
    settings = load_settings(host=host, port=port)
    _serve(settings, one_time_admin_password=True)


@app.command()
def demo(
    home: Annotated[
        Path | None,
        typer.Option(help="Data folder for the demo (default: `demo` in FACTORY_HOME); it is emptied first."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Seed the store, print the login, and exit.")] = False,
) -> None:
    """Seed the drone-company story into a fresh embedded store and serve it."""
    base = load_settings()
    demo_home = home or base.home / "demo"
    if demo_home.exists():
        shutil.rmtree(demo_home)
    settings = load_settings(home=demo_home, port=port)
    settings = settings.model_copy(update={"database_url": None})
    _serve(settings, one_time_admin_password=False, serve=not no_serve, seed=True)


def _seed_demo(runtime: Runtime, password: str) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from digital_factory.demo.story import play

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=False) as progress:
        task = progress.add_task("seeding the drone-company story", total=None)
        play(runtime, password, lambda title: progress.update(task, description=f"demo: {title}"))
        progress.update(task, description="demo: the story is seeded")


def _serve(settings: Settings, *, one_time_admin_password: bool, serve: bool = True, seed: bool = False) -> None:
    import uvicorn

    from digital_factory.app.factory import build_runtime, create_app, prepare_store

    logs.configure(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    with domain_errors():
        admin = prepare_store(runtime, one_time_admin_password=one_time_admin_password)
    if seed and admin is not None and admin.one_time_password:
        _seed_demo(runtime, admin.one_time_password)
    console.print(f"[bold]Digital Factory {__version__}[/] at [link]{settings.effective_public_url}[/]")
    console.print(f"Data folder: {settings.home}")
    if admin is not None:
        note = "" if not admin.user.must_change_password else " (one-time: you choose your own at first sign-in)"
        console.print(
            f"Sign in as [bold]{admin.user.username}[/] with password "
            f"[bold]{admin.one_time_password}[/]{note}. It is shown only now."
        )
    if serve:
        uvicorn.run(
            create_app(settings, runtime=runtime),
            host=settings.host,
            port=settings.port,
            log_config=None,
            proxy_headers=True,
        )


# --- store ----------------------------------------------------------------------------------------


def _engine(url: str | None) -> Engine:
    from digital_factory.store.engine import make_engine

    settings = load_settings(database_url=url)
    settings.ensure_home()
    return make_engine(settings.effective_database_url)


URL_OPTION = typer.Option("--url", help="Store URL (default: FACTORY_DATABASE_URL or the embedded store).")


@db_app.command("upgrade")
def db_upgrade(
    url: Annotated[str | None, URL_OPTION] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the store's schema (SQLite path or PostgreSQL URL)."""
    from digital_factory.store import schema

    engine = _engine(url)
    with domain_errors():
        before = schema.schema_state(engine).current
        schema.upgrade(engine, revision)
        after = schema.current_revision(engine)
    console.print(f"store schema: {before or '(empty)'} -> {after}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or `base`.")],
    url: Annotated[str | None, URL_OPTION] = None,
) -> None:
    """Downgrade the store's schema (data in dropped tables is lost)."""
    from digital_factory.store import schema

    engine = _engine(url)
    schema.downgrade(engine, revision)
    console.print(f"store schema: {schema.current_revision(engine) or '(empty)'}")


@db_app.command("current")
def db_current(url: Annotated[str | None, URL_OPTION] = None) -> None:
    """Show the store's schema revision and this build's newest."""
    from digital_factory.store import schema

    with domain_errors():
        state = schema.schema_state(_engine(url))
    console.print(
        f"current: {state.current or '(empty)'}  head: {state.head}  "
        f"{'up to date' if state.up_to_date else 'upgrade needed'}"
    )


@db_app.command("check")
def db_check(url: Annotated[str | None, URL_OPTION] = None) -> None:
    """Check that the models and the migrations agree (drift); exits 1 when they do not."""
    from digital_factory.store import schema

    engine = _engine(url)
    with domain_errors():
        state = schema.schema_state(engine)
    if not state.up_to_date:
        raise fail(f"the store is at {state.current or '(empty)'}, not {state.head}: run `factory db upgrade`")
    difference = schema.drift(engine)
    if difference:
        raise fail(f"the models and the migrations differ: {difference}")
    console.print("no drift: models and migrations agree")


# --- administration on the store -------------------------------------------------------------------


def _store_runtime() -> Runtime:
    from digital_factory.app.factory import build_runtime, prepare_store

    runtime = build_runtime(load_settings())
    with domain_errors():
        prepare_store(runtime)
    return runtime


def _cli_actor() -> Actor:
    from dataclasses import replace

    from digital_factory.core.actor import Origin, system_actor

    return replace(system_actor("cli"), origin=Origin.CLI)


@admin_app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Lowercase login name.")],
    role: Annotated[str, typer.Option(help="admin, board, product, team, platform or viewer.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user. Without --password-stdin a one-time password is generated and printed once."""
    from digital_factory.accounts import service as accounts
    from digital_factory.accounts.schemas import UserCreate
    from digital_factory.core.schemas import parse_input

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with domain_errors():
        data = parse_input(
            UserCreate, {"username": username, "role": role, "display_name": display_name, "password": password or None}
        )
    runtime = _store_runtime()
    with domain_errors(), runtime.store.unit_of_work(_cli_actor()) as uow:
        created = accounts.create_user(uow, data)
    console.print(f"created user [bold]{created.user.username}[/] ({created.user.role})")
    if created.one_time_password:
        console.print(f"one-time password: [bold]{created.one_time_password}[/] (shown once)")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="Owner of the token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[list[str] | None, typer.Option("--scope", help="Narrow to a permission (repeatable).")] = None,
    expires: Annotated[int, typer.Option("--expires", help="Days until it expires (1-366).")] = 90,
) -> None:
    """Create an API token for a user, directly on the store; prints the token once."""
    from digital_factory.accounts import service as accounts
    from digital_factory.accounts.schemas import TokenCreate
    from digital_factory.core.schemas import parse_input

    with domain_errors():
        data = parse_input(TokenCreate, {"name": name, "scopes": scope or None, "expires_in_days": expires})
    runtime = _store_runtime()
    with domain_errors(), runtime.store.unit_of_work(_cli_actor()) as uow:
        created = accounts.create_token(uow, runtime.digester, user, data)
    err_console.print(
        f"token {created.token.public_id} for {user}, expires {created.token.expires_at:%Y-%m-%d}; shown once:"
    )
    print(created.secret)


# --- settings --------------------------------------------------------------------------------------


@settings_app.command("show")
def settings_show() -> None:
    """Print the effective settings, secrets masked."""
    table = Table("setting", "environment variable", "value")
    for name, value in masked_values(load_settings()).items():
        table.add_row(name, f"FACTORY_{name.upper()}", value)
    console.print(table)


# --- resource commands (REST) ------------------------------------------------------------------------


@user_app.command("list")
def user_list() -> None:
    """List users."""
    with domain_errors():
        page = ApiClient.from_environment().get("/users", limit=200)
    table = Table("username", "name", "role", "active")
    for item in page["items"]:
        table.add_row(item["username"], item["display_name"], item["role"], "yes" if item["is_active"] else "no")
    console.print(table)


@audit_app.command("list")
def audit_list(
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. user.create.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest first).")] = 50,
) -> None:
    """Show the newest audit entries."""
    with domain_errors():
        page = ApiClient.from_environment().get("/audit", action=action, actor=actor, limit=limit)
    table = Table("when", "actor", "via", "action", "object", "outcome")
    for e in page["items"]:
        table.add_row(
            e["at"][:19],
            e["actor_name"],
            e["origin"],
            e["action"],
            f"{e['object_type']} {e['object_id'] or ''}",
            e["outcome"],
        )
    console.print(table)


@team_app.command("list")
def team_list() -> None:
    """List teams."""
    with domain_errors():
        page = ApiClient.from_environment().get("/teams", limit=200)
    table = Table("key", "name", "type", "members")
    for team in page["items"]:
        table.add_row(team["key"], team["name"], team["team_type"], str(len(team["members"])))
    console.print(table)


@team_app.command("create")
def team_create(
    key: Annotated[str, typer.Argument(help="Short stable name, e.g. engines.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    team_type: Annotated[
        str, typer.Option("--type", help="stream-aligned, platform, enabling, complicated-subsystem.")
    ] = "stream-aligned",
    mission: Annotated[str, typer.Option(help="What the team is for.")] = "",
) -> None:
    """Create a team."""
    with domain_errors():
        team = ApiClient.from_environment().request(
            "POST", "/teams", json={"key": key, "name": name, "team_type": team_type, "mission": mission}
        )
    console.print(f"created team [bold]{team['key']}[/] ({team['team_type']})")


@service_app.command("list")
def service_list(owner: Annotated[str | None, typer.Option(help="Only services of this team.")] = None) -> None:
    """List services in the catalog."""
    with domain_errors():
        page = ApiClient.from_environment().get("/services", limit=200, owner_team=owner)
    table = Table("key", "name", "owner", "repository")
    for svc in page["items"]:
        table.add_row(svc["key"], svc["name"], svc["owner_team"] or "-", svc["repository_url"] or "-")
    console.print(table)


def run() -> None:
    try:
        app()
    except Exception as exc:  # a bug: one line for the user, the trace only on request
        if os.environ.get("FACTORY_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "Run again with FACTORY_DEBUG=1 for the full trace, and please report it."
        )
        sys.exit(70)
