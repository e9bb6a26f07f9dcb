"""`factory theme list|show|create`: strategic themes in OKR form."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, fail, print_table, say
from digital_factory.cli.portfolio.apps import theme_app
from digital_factory.cli.portfolio.common import FromJson, body
from digital_factory.portfolio.schemas import Theme


@theme_app.command("list")
def theme_list(archived: Annotated[bool, typer.Option(help="Include archived themes.")] = False) -> None:
    """List strategic themes with their key results."""
    with domain_errors():
        themes: list[Theme] = api().read(list[Theme], "/themes", include_archived=archived)
    rows = []
    for theme in themes:
        results = "\n".join(f"{kr.description} → {kr.target:g}{kr.unit and ' ' + kr.unit}" for kr in theme.key_results)
        rows.append((theme.key, theme.objective, results or "-", theme.epic_count))
    print_table(("key", "objective", "key results", "epics"), rows)


@theme_app.command("show")
def theme_show(key: Annotated[str, typer.Argument(help="e.g. THEME-1")]) -> None:
    """Show a theme."""
    with domain_errors():
        theme: Theme = api().read(Theme, f"/themes/{segment(key)}")
    say(f"{theme.key} {theme.objective}")
    if theme.description:
        say(theme.description)
    for kr in theme.key_results:
        base = f"from {kr.baseline:g} " if kr.baseline is not None else ""
        due = f" by {kr.due}" if kr.due else ""
        say(f"  • {kr.description}: {base}to {kr.target:g} {kr.unit}{due}")


@theme_app.command("create")
def theme_create(
    objective: Annotated[str | None, typer.Option(help="The objective.")] = None,
    description: Annotated[str | None, typer.Option(help="What and why.")] = None,
    key_result: Annotated[
        list[str] | None,
        typer.Option("--key-result", help="DESCRIPTION=TARGET[ UNIT] (repeatable), e.g. 'Market share=15 %'."),
    ] = None,
    from_json: FromJson = None,
) -> None:
    """Create a strategic theme (board)."""
    results = [_key_result(text) for text in key_result or []]
    fields = body(from_json, objective=objective, description=description, key_results=results or None)
    with domain_errors():
        theme: Theme = api().send(Theme, "POST", "/themes", json=fields)
    say(f"created theme {theme.key}: {theme.objective}")


def _key_result(text: str) -> dict[str, Any]:
    description, sep, rest = text.rpartition("=")
    value, _, unit = rest.strip().partition(" ")
    try:
        target = float(value)
    except ValueError:
        target = None
    if not sep or not description.strip() or target is None:
        raise fail(f"--key-result {text!r}: write DESCRIPTION=TARGET[ UNIT], e.g. 'Market share=15 %'", 2)
    return {"description": description.strip(), "target": target, "unit": unit.strip()}
