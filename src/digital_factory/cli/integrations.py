"""`factory integration …`: a team's webhook hooks for GitHub, GitLab and CDEvents (through the REST API)."""

from __future__ import annotations

from typing import Annotated

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, err_console, literal, print_table, say
from digital_factory.integrations.schemas import CreatedHook, Hook, HookDetail, HookKind

app = typer.Typer(
    help="Webhooks from GitHub, GitLab and CDEvents producers (through the REST API).", no_args_is_help=True
)

HookId = Annotated[str, typer.Argument(help="The hook's public id (see `factory integration list`).")]
External = Annotated[
    str,
    typer.Argument(help="GitHub owner/repo, GitLab group/project, or a CDEvents subject id or source."),
]


def _shown_once(created: CreatedHook, what: str) -> None:
    hook = created.hook
    err_console.print(literal(f"{what} {hook.public_id} ({hook.kind}) of team {hook.team}"), highlight=False)
    err_console.print(literal(f"post deliveries to <server>{hook.path}; its secret, shown once:"), highlight=False)
    print(created.secret)


@app.command("create")
def create(
    kind: Annotated[HookKind, typer.Argument(help="github, gitlab or cdevents.")],
    team: Annotated[str, typer.Option("--team", "-t", help="The owning team's key.")],
    name: Annotated[str, typer.Option(help="What the hook is for.")] = "",
) -> None:
    """Create a hook for a team; prints its secret once (paste it into the sender's secret field)."""
    with domain_errors():
        body = {"kind": kind.value, "team": team, "name": name or f"{kind.value} for {team}"}
        created: CreatedHook = api().send(CreatedHook, "POST", "/integrations", json=body)
    _shown_once(created, "hook")


@app.command("list")
def list_hooks(team: Annotated[str | None, typer.Option("--team", "-t")] = None) -> None:
    """Hooks, their mappings and what their deliveries came to."""
    with domain_errors():
        hooks: list[Hook] = api().read(list[Hook], "/integrations", team=team)
    if not hooks:
        say("no hooks yet")
        return
    print_table(
        ["id", "kind", "team", "name", "maps", "last delivery", "mapped", "ignored", "unmapped"],
        (
            [
                h.public_id,
                h.kind,
                h.team,
                h.name,
                ", ".join(f"{m.external} -> {m.service}" for m in h.mappings) or "-",
                h.last_delivery_at.isoformat()[:16] if h.last_delivery_at else "never",
                str(h.counts.mapped),
                str(h.counts.ignored),
                str(h.counts.unmapped),
            ]
            for h in hooks
        ),
    )


@app.command("show")
def show(public_id: HookId) -> None:
    """A hook: where senders post, its mappings and its most recent deliveries."""
    with domain_errors():
        hook: HookDetail = api().read(HookDetail, f"/integrations/{segment(public_id)}")
    say(f"{hook.public_id} ({hook.kind}) of team {hook.team}: {hook.name}")
    say(f"post to: <server>{hook.path}")
    for mapping in hook.mappings:
        say(f"maps {mapping.external} -> {mapping.service}")
    if not hook.recent:
        say("no deliveries yet")
        return
    print_table(
        ["received", "event", "outcome", "delivery", "summary"],
        ([d.received_at.isoformat()[:19], d.event, d.outcome, d.delivery_id, d.summary] for d in hook.recent),
    )


@app.command("map")
def map_external(
    public_id: HookId,
    external: External,
    service: Annotated[str, typer.Argument(help="The catalog service it stands for.")],
) -> None:
    """Deliveries naming EXTERNAL write into SERVICE's delivery records."""
    with domain_errors():
        api().send(
            Hook,
            "POST",
            f"/integrations/{segment(public_id)}/mappings",
            json={"external": external, "service": service},
        )
    say(f"{external} -> {service}")


@app.command("unmap")
def unmap(public_id: HookId, external: External) -> None:
    """Stop mapping EXTERNAL (later deliveries for it are stored as unmapped)."""
    with domain_errors():
        api().send(Hook, "DELETE", f"/integrations/{segment(public_id)}/mappings", params={"external": external})
    say(f"{external} is no longer mapped by {public_id}")


@app.command("rotate")
def rotate(public_id: HookId) -> None:
    """A new secret for the hook, shown once; the old one stops working at once."""
    with domain_errors():
        created: CreatedHook = api().send(CreatedHook, "POST", f"/integrations/{segment(public_id)}/rotate")
    _shown_once(created, "new secret for hook")


@app.command("delete")
def delete(public_id: HookId) -> None:
    """Delete the hook with its mappings and stored deliveries (records it made stay)."""
    with domain_errors():
        api().request("DELETE", f"/integrations/{segment(public_id)}")
    say(f"hook {public_id} deleted")
