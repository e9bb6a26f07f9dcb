"""`factory team onboard`, `factory template list|register|upgrade`, `factory repo list` (REST clients)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from digital_factory.cli.client import ApiClient
from digital_factory.cli.output import console, domain_errors, fail

template_app = typer.Typer(
    help="Golden-path templates and the template fleet (through the REST API).", no_args_is_help=True
)
repo_app = typer.Typer(help="Hosted git repositories (through the REST API).", no_args_is_help=True)
POLL_SECONDS = 0.5
SYMBOLS = {"pending": "·", "running": "…", "done": "✔", "skipped": "–", "failed": "✘"}


def install(app: typer.Typer, team_app: typer.Typer) -> None:
    """Adds the platform's commands to the command tree."""
    team_app.command("onboard")(team_onboard)
    app.add_typer(template_app, name="template")
    app.add_typer(repo_app, name="repo")


def follow(client: ApiClient, job: dict[str, Any]) -> dict[str, Any]:
    """Show a platform job's steps live (Rich) until it ends; returns the finished job."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as progress:
        tasks = {s["name"]: progress.add_task(_line(s), total=1) for s in job["steps"]}
        while True:
            for step in job["steps"]:
                if step["name"] not in tasks:
                    tasks[step["name"]] = progress.add_task(_line(step), total=1)
                done = step["status"] in {"done", "skipped", "failed"}
                progress.update(tasks[step["name"]], description=_line(step), completed=1 if done else 0)
            if job["status"] != "running":
                return job
            time.sleep(POLL_SECONDS)
            job = client.get(f"/jobs/{job['id']}")


def _line(step: dict[str, Any]) -> str:
    detail = f" [dim]{step['detail']}[/]" if step.get("detail") else ""
    return f"{SYMBOLS.get(step['status'], '?')} {step['label']}{detail}"


def team_onboard(
    team: Annotated[str, typer.Argument(help="Key of the new (or an existing) team, e.g. engines.")],
    service: Annotated[str, typer.Option("--service", help="Key of the service (and repository) to make.")],
    name: Annotated[str | None, typer.Option("--name", help="The team's display name (new teams).")] = None,
    service_name: Annotated[str | None, typer.Option("--service-name", help="The service's display name.")] = None,
    template: Annotated[str, typer.Option(help="Golden-path template.")] = "python-service",
    member: Annotated[list[str] | None, typer.Option("--member", help="Username to add (repeatable).")] = None,
    team_type: Annotated[str, typer.Option("--type", help="Team type.")] = "stream-aligned",
    description: Annotated[str, typer.Option(help="What the service does.")] = "",
    feature: Annotated[str | None, typer.Option(help="Feature it serves, e.g. FEAT-12.")] = None,
    epic: Annotated[str | None, typer.Option(help="Epic it serves, e.g. EPIC-3.")] = None,
    answer: Annotated[
        list[str] | None, typer.Option("--answer", help="Template answer NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Onboard a team in one step: team, repository from the template, catalog entry, environments,
    ingestion key, linked work and the first pipeline run. Shows progress; prints the key once."""
    answers: dict[str, str] = {}
    for item in answer or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--answer {item!r}: write NAME=VALUE", 2)
        answers[key.strip()] = value
    body = {
        "team_key": team,
        "team_name": name or "",
        "team_type": team_type,
        "members": member or [],
        "service_key": service,
        "service_name": service_name or service,
        "description": description,
        "template": template,
        "answers": answers,
        "feature_key": feature,
        "epic_key": epic,
    }
    with domain_errors(), ApiClient.from_environment() as client:
        job = follow(client, client.request("POST", "/onboardings", json=body))
    if job["status"] != "succeeded":
        raise fail(f"onboarding failed: {job['error']} (nothing was left half-made)", 4)
    result = job["result"] or {}
    console.print(f"[bold]{team}[/] can ship: clone [bold]{result.get('clone_url')}[/] (an API token is the password)")
    if result.get("ingestion_key"):
        console.print(f"ingestion key (shown once): [bold]{result['ingestion_key']}[/]")


@template_app.command("list")
def template_list() -> None:
    """List golden-path templates and their versions."""
    with domain_errors(), ApiClient.from_environment() as client:
        templates = client.get("/templates")
    table = Table("key", "name", "newest", "versions", "trusted", "source")
    for t in templates:
        table.add_row(
            t["key"],
            t["name"],
            t["latest_version"] or "-",
            ", ".join(t["versions"]),
            "yes" if t["trusted"] else "no",
            "built in" if t["builtin"] else t["source"],
        )
    console.print(table)


@template_app.command("register")
def template_register(
    key: Annotated[str, typer.Argument(help="Short stable name.")],
    source: Annotated[str, typer.Option(help="Git repository: an https URL or an absolute path on the server.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str, typer.Option(help="What it makes.")] = "",
    trusted: Annotated[bool, typer.Option("--trusted", help="Allow tasks, migrations, extensions (admin).")] = False,
) -> None:
    """Register a copier template (platform role). Unsafe templates are refused with the reason."""
    with domain_errors(), ApiClient.from_environment() as client:
        created = client.request(
            "POST",
            "/templates",
            json={"key": key, "name": name or key, "description": description, "source": source, "trusted": trusted},
        )
    console.print(f"registered [bold]{created['key']}[/] with versions {', '.join(created['versions'])}")


@template_app.command("upgrade")
def template_upgrade(
    service: Annotated[list[str] | None, typer.Argument(help="Services to upgrade (default with --all).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every service behind its template's newest version.")] = False,
) -> None:
    """`copier update` per service on a branch template-upgrade/<version>; clean ones are pushed,
    conflicts are reported and nothing is pushed for them."""
    if not service and not every:
        raise fail("name a service or pass --all", 2)
    with domain_errors(), ApiClient.from_environment() as client:
        job = follow(client, client.request("POST", "/fleet/upgrades", json={"services": service or [], "all": every}))
    upgrades = (job.get("result") or {}).get("upgrades", [])
    table = Table("service", "from", "to", "outcome", "branch / conflicts")
    for u in upgrades:
        where = u["branch"] or ", ".join(u["conflicts"]) or u["detail"]
        table.add_row(u["service"], u["from_version"] or "-", u["to_version"], u["status"], where)
    console.print(table if upgrades else "nothing to upgrade: every service is on its template's newest version")
    if job["status"] != "succeeded":
        raise fail(f"the upgrade job failed: {job['error']}", 1)
    if any(u["status"] in {"conflict", "failed"} for u in upgrades):
        raise typer.Exit(4)


@repo_app.command("list")
def repo_list(owner: Annotated[str | None, typer.Option(help="Only repositories of this team.")] = None) -> None:
    """List hosted repositories with their clone URLs."""
    with domain_errors(), ApiClient.from_environment() as client:
        page = client.get("/repositories", limit=200, owner_team=owner)
    table = Table("key", "team", "service", "last push", "clone URL")
    for r in page["items"]:
        table.add_row(
            r["key"], r["owner_team"] or "-", r["service_key"] or "-", (r["last_push_at"] or "-")[:19], r["clone_url"]
        )
    console.print(table)
