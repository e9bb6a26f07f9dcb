"""Console output and the one mapping from domain errors to messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

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


def exit_code_for(exc: errors.DomainError) -> int:
    return next((code for cls, code in EXIT_CODES.items() if isinstance(exc, cls)), 1)


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turns a domain error into a one-line message and its exit code; never a stack trace."""
    try:
        yield
    except errors.DomainError as exc:
        raise fail(exc.detail, exit_code_for(exc)) from None
