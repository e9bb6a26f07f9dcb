"""`factory service …` and `factory value-stream …`: the service catalog."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from digital_factory.catalog.schemas import (
    Dependency,
    DependencyAdded,
    DependencyCycle,
    Environment,
    Service,
    ServiceDependencies,
    ValueStream,
)
from digital_factory.cli.client import api, segment
from digital_factory.cli.options import DisplayName
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.core.pagination import Page

service_app = typer.Typer(help="The service catalog (through the REST API).", no_args_is_help=True)
value_stream_app = typer.Typer(help="Value streams grouping the catalog's services.", no_args_is_help=True)


@service_app.command("list")
def service_list(
    owner: Annotated[str | None, typer.Option(help="Only services of this team.")] = None,
    value_stream: Annotated[str | None, typer.Option(help="Only services in this value stream.")] = None,
) -> None:
    """List services in the catalog."""
    with domain_errors():
        page: Page[Service] = api().read(
            Page[Service], "/services", limit=200, owner_team=owner, value_stream=value_stream
        )
    print_table(
        ["key", "name", "owner", "value stream", "repository"],
        [(s.key, s.name, s.owner_team or "-", s.value_stream or "-", s.repository_url or "-") for s in page.items],
    )


@service_app.command("show")
def service_show(key: Annotated[str, typer.Argument(help="The service's key.")]) -> None:
    """A service: owner, value stream, environments with their policy, dependencies both ways."""
    with domain_errors():
        client = api()
        svc: Service = client.read(Service, f"/services/{segment(key)}")
        deps: ServiceDependencies = client.read(ServiceDependencies, f"/services/{segment(key)}/dependencies")
    say(Text.assemble((svc.name, "bold"), f" ({svc.key})"))
    say(
        f"owner: {svc.owner_team or '-'} · value stream: {svc.value_stream or '-'} · "
        f"repository: {svc.repository_url or '-'}"
    )
    if svc.description:
        say(svc.description)
    print_table(
        ["environment", "policy"],
        [(env.name, _policy(env)) for env in svc.environments],
        title="Environments (promotion order)",
    )
    _dependency_table("Depends on", deps.depends_on)
    _dependency_table("Used by", deps.dependents)
    if deps.transitive_dependents:
        say(f"affected when it fails: {', '.join(deps.transitive_dependents)}")
    _say_loops("dependency loop:", deps.cycles)


def _policy(env: Environment) -> str:
    if env.approval_roles:
        return f"continuous delivery: approval by {', '.join(env.approval_roles)}"
    return "continuous deployment (automatic)"


def _dependency_table(title: str, items: list[Dependency]) -> None:
    print_table(
        ["service", "owner", "what for"],
        [(d.service.key, d.service.owner_team or "-", d.description) for d in items],
        title=title,
    )


def _say_loops(label: str, cycles: list[DependencyCycle]) -> None:
    for cycle in cycles:
        say(Text.assemble((label, "yellow"), " ", " -> ".join(cycle.path)))


@service_app.command("depend")
def service_depend(
    key: Annotated[str, typer.Argument(help="The service that depends on another.")],
    on: Annotated[str, typer.Option("--on", help="The service it depends on.")],
    description: Annotated[str, typer.Option(help="What for: calls its API, reads its topic, …")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Remove the dependency instead.")] = False,
) -> None:
    """Declare (or remove) a dependency between two services; loops are reported."""
    with domain_errors():
        client = api()
        if remove:
            client.request("DELETE", f"/services/{segment(key)}/dependencies/{segment(on)}")
            say(f"{key} no longer depends on {on}")
            return
        body = {"on": on, "description": description}
        added: DependencyAdded = client.send(
            DependencyAdded, "POST", f"/services/{segment(key)}/dependencies", json=body
        )
    say(f"{added.service} depends on {added.depends_on}")
    _say_loops("this closes a dependency loop:", added.cycles)


@value_stream_app.command("list")
def value_stream_list() -> None:
    """List value streams with their services and teams."""
    with domain_errors():
        streams: list[ValueStream] = api().read(list[ValueStream], "/value-streams")
    print_table(
        ["key", "name", "services", "teams"],
        [(s.key, s.name, s.services, ", ".join(s.teams) or "-") for s in streams],
    )


@value_stream_app.command("create")
def value_stream_create(
    key: Annotated[str, typer.Argument(help="Short stable name, e.g. heavy-lift-drones.")],
    name: DisplayName,
    description: Annotated[str, typer.Option(help="What value flows to whom.")] = "",
) -> None:
    """Create a value stream."""
    body = {"key": key, "name": name, "description": description}
    with domain_errors():
        created: ValueStream = api().send(ValueStream, "POST", "/value-streams", json=body)
    say(Text.assemble("created value stream ", (created.key, "bold"), f" ({created.name})"))


@value_stream_app.command("show")
def value_stream_show(key: Annotated[str, typer.Argument(help="The value stream's key.")]) -> None:
    """A value stream and its services."""
    with domain_errors():
        client = api()
        stream: ValueStream = client.read(ValueStream, f"/value-streams/{segment(key)}")
        services: Page[Service] = client.read(Page[Service], "/services", limit=200, value_stream=key)
    say(Text.assemble((stream.name, "bold"), f" ({stream.key})"))
    if stream.description:
        say(stream.description)
    print_table(["service", "name", "owner"], [(s.key, s.name, s.owner_team or "-") for s in services.items])


@value_stream_app.command("assign")
def value_stream_assign(
    key: Annotated[str, typer.Argument(help="The value stream's key; `none` takes services out of any.")],
    services: Annotated[list[str], typer.Argument(help="Keys of the services.")],
) -> None:
    """Put services into a value stream (each service serves at most one)."""
    stream = None if key == "none" else key
    with domain_errors():
        client = api()
        for service in services:
            client.send(Service, "PATCH", f"/services/{segment(service)}", json={"value_stream": stream})
    say(f"{', '.join(services)} -> {stream or 'no value stream'}")
