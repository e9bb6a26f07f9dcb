"""Commands that work directly on the store: `factory db …`, `factory admin …`, `factory token create`.

They need the server's settings (FACTORY_HOME / FACTORY_DATABASE_URL) and no running server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from digital_factory.cli.config import load_settings
from digital_factory.cli.output import console, domain_errors, err_console, fail
from digital_factory.store import schema

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from digital_factory.app.factory import Runtime
    from digital_factory.core.actor import Actor

db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
admin_app = typer.Typer(
    help="Administration directly on the store (run on the server's machine).", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)

URL_OPTION = typer.Option("--url", help="Store URL (default: FACTORY_DATABASE_URL or the embedded store).")


@contextmanager
def opened_engine(url: str | None) -> Iterator[Engine]:
    from digital_factory.store.engine import make_engine

    settings = load_settings(database_url=url)
    settings.ensure_home()
    engine = make_engine(settings.effective_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(
    url: Annotated[str | None, URL_OPTION] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Upgrade the store's schema (SQLite path or PostgreSQL URL)."""
    with opened_engine(url) as engine, domain_errors():
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
    with opened_engine(url) as engine:
        schema.downgrade(engine, revision)
        console.print(f"store schema: {schema.current_revision(engine) or '(empty)'}")


@db_app.command("current")
def db_current(url: Annotated[str | None, URL_OPTION] = None) -> None:
    """Show the store's schema revision and this build's newest."""
    with opened_engine(url) as engine, domain_errors():
        state = schema.schema_state(engine)
    console.print(
        f"current: {state.current or '(empty)'}  head: {state.head}  "
        f"{'up to date' if state.up_to_date else 'upgrade needed'}"
    )


@db_app.command("check")
def db_check(url: Annotated[str | None, URL_OPTION] = None) -> None:
    """Check that the models and the migrations agree (drift); exits 1 when they do not."""
    with opened_engine(url) as engine:
        with domain_errors():
            state = schema.schema_state(engine)
        if not state.up_to_date:
            raise fail(f"the store is at {state.current or '(empty)'}, not {state.head}: run `factory db upgrade`")
        difference = schema.drift(engine)
    if difference:
        raise fail(f"the models and the migrations differ: {difference}")
    console.print("no drift: models and migrations agree")


@contextmanager
def store_runtime() -> Iterator[Runtime]:
    """The server's runtime on its store (upgraded when embedded), for commands that act on it."""
    from digital_factory.app.factory import build_runtime, prepare_store

    runtime = build_runtime(load_settings())
    try:
        with domain_errors():
            prepare_store(runtime)
        yield runtime
    finally:
        runtime.store.dispose()


def cli_actor() -> Actor:
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
    with store_runtime() as runtime, domain_errors(), runtime.store.unit_of_work(cli_actor()) as uow:
        created = accounts.create_user(uow, data)
    user = created.user
    console.print(Text.assemble("created user ", (user.username, "bold"), f" ({user.role})"))
    if created.one_time_password:
        console.print(Text.assemble("one-time password: ", (created.one_time_password, "bold"), " (shown once)"))


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
    with store_runtime() as runtime, domain_errors(), runtime.store.unit_of_work(cli_actor()) as uow:
        created = accounts.create_token(uow, runtime.digester, user, data)
    token = created.token
    err_console.print(
        f"token {token.public_id} for {user}, expires {token.expires_at:%Y-%m-%d}; shown once:", markup=False
    )
    print(created.secret)
