"""Console output and the one mapping from domain errors to messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digital_factory.core import errors

console = Console()
err_console = Console(stderr=True)

EXIT_CODES: dict[type[errors.DomainError], int] = {
    errors.ValidationFailed: 2,
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.PermissionDenied: 5,
    errors.Unauthenticated: 6,
    errors.RateLimited: 7,
    errors.SchemaMismatch: 8,
}


def literal(value: object) -> Text:
    """User text as it is: never read as Rich markup (a team named `[/]` prints as `[/]`)."""
    return Text("" if value is None else str(value))


def say(*parts: object) -> None:
    """Print a line of user text literally (no markup, no highlighting)."""
    console.print(*parts, markup=False, highlight=False)


def print_table(headers: Iterable[str], rows: Iterable[Iterable[object]], *, title: str | None = None) -> None:
    """A table whose every cell is printed literally."""
    table = Table(*headers, title=title)
    for row in rows:
        table.add_row(*(cell if isinstance(cell, Text) else literal(cell) for cell in row))
    console.print(table)


def exit_code_for(exc: errors.DomainError) -> int:
    return next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(Text("error: ", style="bold red"), literal(message), sep="", highlight=False)
    return typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turns a domain error into a one-line message and its exit code; never a stack trace."""
    try:
        yield
    except errors.DomainError as exc:
        raise fail(exc.detail, exit_code_for(exc)) from None
