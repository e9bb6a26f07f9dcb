"""`factory epic import`: epics and features from a CSV or JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from digital_factory.cli.client import api
from digital_factory.cli.output import domain_errors, err_console, fail, literal, say
from digital_factory.cli.portfolio.apps import epic_app
from digital_factory.portfolio.schemas import ImportReport


@epic_app.command("import")
def epic_import(
    file: Annotated[Path, typer.Argument(help="A CSV or JSON file (see docs/portfolio.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid rows, skip the rest.")] = False,
    file_format: Annotated[str | None, typer.Option("--format", help="csv or json (default: by extension).")] = None,
) -> None:
    """Import epics and features; nothing is stored when any row is invalid (unless --skip-invalid)."""
    fmt = file_format or ("json" if file.suffix.lower() == ".json" else "csv")
    if fmt not in {"csv", "json"}:
        raise fail(f"--format {fmt!r}: csv or json", 2)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}", 2) from None
    content_type = "text/csv" if fmt == "csv" else "application/json"
    with domain_errors():
        report: ImportReport = api().send(
            ImportReport,
            "POST",
            "/epics/import",
            params={"format": fmt, "dry_run": dry_run, "skip_invalid": skip_invalid},
            content=content,
            headers={"Content-Type": content_type},
        )
    _print_problems(report)
    _print_outcome(report)
    if report.errors and not skip_invalid:
        raise typer.Exit(2)


def _print_problems(report: ImportReport) -> None:
    """The invalid rows and the ignored columns, on stderr."""
    if report.errors:
        table = Table("row", "ref", "field", "reason", title="invalid rows")
        for e in report.errors:
            table.add_row(literal(e.row), literal(e.ref or "-"), literal(e.field), literal(e.reason))
        err_console.print(table)
    if report.ignored_columns:
        err_console.print(f"ignored columns: {', '.join(report.ignored_columns)}", markup=False)


def _print_outcome(report: ImportReport) -> None:
    if report.errors and not report.skip_invalid:
        say(f"nothing imported: {len(report.errors)} problem(s); fix them or use --skip-invalid")
        return
    verb = "would import" if report.dry_run else "imported"
    skipped = f", skipped {report.skipped} row(s)" if report.skipped else ""
    say(f"{verb} {report.epics} epic(s) and {report.features} feature(s){skipped}")
    if not report.dry_run and report.items:
        keys = [i.key or "" for i in report.items]
        say(f"keys: {keys[0]} … {keys[-1]}" if len(keys) > 10 else f"keys: {', '.join(keys)}")
