"""`factory service …` and `factory value-stream …`: the service catalog."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors

service_app = typer.Typer(help="The service catalog (through the REST API).", no_args_is_help=True)
value_stream_app = typer.Typer(help="Value streams grouping the catalog's services.", no_args_is_help=True)


def _client() -> ApiClient:
    return ApiClient.from_environment()


@service_app.command("list")
def service_list(
    owner: Annotated[str | None, typer.Option(help="Only services of this team.")] = None,
    value_stream: Annotated[str | None, typer.Option(help="Only services in this value stream.")] = None,
) -> None:
    """List services in the catalog."""
    with domain_errors(), _client() as client:
        page = client.get("/services", limit=200, owner_team=owner, value_stream=value_stream)
    table = Table("key", "name", "owner", "value stream", "repository")
    for svc in page["items"]:
        table.add_row(
            svc["key"],
            svc["name"],
            svc["owner_team"] or "-",
            svc.get("value_stream") or "-",
            svc["repository_url"] or "-",
        )
    console.print(table)


@service_app.command("show")
def service_show(key: Annotated[str, typer.Argument(help="The service's key.")]) -> None:
    """A service: owner, value stream, environments with their policy, dependencies both ways."""
    with domain_errors(), _client() as client:
        svc = client.get(f"/services/{key}")
        deps = client.get(f"/services/{key}/dependencies")
    console.print(f"[bold]{svc['name']}[/] ({svc['key']})", highlight=False)
    console.print(
        f"owner: {svc['owner_team'] or '-'} · value stream: {svc.get('value_stream') or '-'} · "
        f"repository: {svc['repository_url'] or '-'}",
        highlight=False,
    )
    if svc["description"]:
        console.print(svc["description"], highlight=False)
    environments = Table("environment", "policy", title="Environments (promotion order)")
    for env in svc["environments"]:
        policy = (
            f"continuous delivery: approval by {', '.join(env['approval_roles'])}"
            if env["approval_roles"]
            else "continuous deployment (automatic)"
        )
        environments.add_row(env["name"], policy)
    console.print(environments)
    _dependency_table("Depends on", deps["depends_on"])
    _dependency_table("Used by", deps["dependents"])
    if deps["transitive_dependents"]:
        console.print(f"affected when it fails: {', '.join(deps['transitive_dependents'])}", highlight=False)
    for cycle in deps["cycles"]:
        console.print(f"[yellow]dependency loop:[/] {' -> '.join(cycle['path'])}", highlight=False)


def _dependency_table(title: str, items: list[dict[str, Any]]) -> None:
    table = Table("service", "owner", "what for", title=title)
    for item in items:
        table.add_row(item["service"]["key"], item["service"]["owner_team"] or "-", item["description"])
    console.print(table)


@service_app.command("depend")
def service_depend(
    key: Annotated[str, typer.Argument(help="The service that depends on another.")],
    on: Annotated[str, typer.Option("--on", help="The service it depends on.")],
    description: Annotated[str, typer.Option(help="What for: calls its API, reads its topic, …")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Remove the dependency instead.")] = False,
) -> None:
    """Declare (or remove) a dependency between two services; loops are reported."""
    with domain_errors(), _client() as client:
        if remove:
            client.request("DELETE", f"/services/{key}/dependencies/{on}")
            console.print(f"{key} no longer depends on {on}")
            return
        added = client.request("POST", f"/services/{key}/dependencies", json={"on": on, "description": description})
    console.print(f"{added['service']} depends on {added['depends_on']}")
    for cycle in added["cycles"]:
        console.print(f"[yellow]this closes a dependency loop:[/] {' -> '.join(cycle['path'])}", highlight=False)


@value_stream_app.command("list")
def value_stream_list() -> None:
    """List value streams with their services and teams."""
    with domain_errors(), _client() as client:
        streams = client.get("/value-streams")
    table = Table("key", "name", "services", "teams")
    for s in streams:
        table.add_row(s["key"], s["name"], str(s["services"]), ", ".join(s["teams"]) or "-")
    console.print(table)


@value_stream_app.command("create")
def value_stream_create(
    key: Annotated[str, typer.Argument(help="Short stable name, e.g. heavy-lift-drones.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    description: Annotated[str, typer.Option(help="What value flows to whom.")] = "",
) -> None:
    """Create a value stream."""
    with domain_errors(), _client() as client:
        created = client.request("POST", "/value-streams", json={"key": key, "name": name, "description": description})
    console.print(f"created value stream [bold]{created['key']}[/] ({created['name']})")


@value_stream_app.command("show")
def value_stream_show(key: Annotated[str, typer.Argument(help="The value stream's key.")]) -> None:
    """A value stream and its services."""
    with domain_errors(), _client() as client:
        stream = client.get(f"/value-streams/{key}")
        services = client.get("/services", limit=200, value_stream=key)
    console.print(f"[bold]{stream['name']}[/] ({stream['key']})", highlight=False)
    if stream["description"]:
        console.print(stream["description"], highlight=False)
    table = Table("service", "name", "owner")
    for svc in services["items"]:
        table.add_row(svc["key"], svc["name"], svc["owner_team"] or "-")
    console.print(table)


@value_stream_app.command("assign")
def value_stream_assign(
    key: Annotated[str, typer.Argument(help="The value stream's key; `none` takes services out of any.")],
    services: Annotated[list[str], typer.Argument(help="Keys of the services.")],
) -> None:
    """Put services into a value stream (each service serves at most one)."""
    stream = None if key == "none" else key
    with domain_errors(), _client() as client:
        for service in services:
            client.request("PATCH", f"/services/{service}", json={"value_stream": stream})
    console.print(f"{', '.join(services)} -> {stream or 'no value stream'}")
