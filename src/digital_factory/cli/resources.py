"""Resource commands (`factory <noun> <verb>`): clients of the REST API (FACTORY_URL + FACTORY_TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer

from digital_factory.accounts.schemas import AuditEntry, User
from digital_factory.cli.client import api
from digital_factory.cli.options import NewestFirst
from digital_factory.cli.output import domain_errors, print_table
from digital_factory.core.pagination import Page

user_app = typer.Typer(help="Users (through the REST API).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log (through the REST API).", no_args_is_help=True)


@user_app.command("list")
def user_list() -> None:
    """List users."""
    with domain_errors():
        page: Page[User] = api().read(Page[User], "/users", limit=200)
    print_table(
        ["username", "name", "role", "active"],
        ([u.username, u.display_name, u.role, "yes" if u.is_active else "no"] for u in page.items),
    )


@audit_app.command("list")
def audit_list(
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. user.create.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    limit: NewestFirst = 50,
) -> None:
    """Show the newest audit entries."""
    with domain_errors():
        page: Page[AuditEntry] = api().read(Page[AuditEntry], "/audit", action=action, actor=actor, limit=limit)
    print_table(
        ["when", "actor", "via", "action", "object", "outcome"],
        (
            [
                f"{e.at:%Y-%m-%dT%H:%M:%S}",
                e.actor_name,
                e.origin,
                e.action,
                f"{e.object_type} {e.object_id or ''}",
                e.outcome,
            ]
            for e in page.items
        ),
    )
