"""Resource commands (`factory <noun> <verb>`): clients of the REST API (FACTORY_URL + FACTORY_TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors

user_app = typer.Typer(help="Users (through the REST API).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log (through the REST API).", no_args_is_help=True)


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
