"""`factory team onboard`, `factory template list|register|upgrade`, `factory repo list` (REST clients)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn

from digital_factory.cli.client import ApiClient, api, segment
from digital_factory.cli.output import console, domain_errors, fail, print_table, say
from digital_factory.core.pagination import Page
from digital_factory.delivery.schemas import RunSummary
from digital_factory.platform.schemas import (
    Job,
    JobStatus,
    OnboardingResult,
    Step,
    StepStatus,
    Template,
    UpgradeRecord,
    UpgradeStatus,
)
from digital_factory.repos.schemas import Repository

template_app = typer.Typer(
    help="Golden-path templates and the template fleet (through the REST API).", no_args_is_help=True
)
repo_app = typer.Typer(help="Hosted git repositories (through the REST API).", no_args_is_help=True)
POLL_SECONDS = 0.5
SYMBOLS = {"pending": "·", "running": "…", "done": "✔", "skipped": "–", "failed": "✘"}
FINISHED = frozenset({StepStatus.DONE, StepStatus.SKIPPED, StepStatus.FAILED})


class RepositoryView(Repository):
    """A repository as `GET /repositories` answers: with the URL to clone it from."""

    clone_url: str


def install(app: typer.Typer, team_app: typer.Typer) -> None:
    """Adds the platform's commands to the command tree."""
    team_app.command("onboard")(team_onboard)
    app.add_typer(template_app, name="template")
    app.add_typer(repo_app, name="repo")


def follow(client: ApiClient, job: Job) -> Job:
    """Show a platform job's steps live (Rich) until it ends; returns the finished job."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as progress:
        tasks = {s.name: progress.add_task(_line(s), total=1) for s in job.steps}
        while True:
            for step in job.steps:
                if step.name not in tasks:
                    tasks[step.name] = progress.add_task(_line(step), total=1)
                done = step.status in FINISHED
                progress.update(tasks[step.name], description=_line(step), completed=1 if done else 0)
            if job.status != JobStatus.RUNNING:
                return job
            time.sleep(POLL_SECONDS)
            job = client.read(Job, f"/jobs/{segment(job.id)}")


def _line(step: Step) -> str:
    """A step as Rich markup: our symbol and styling, the server's words escaped."""
    detail = f" [dim]{escape(step.detail)}[/]" if step.detail else ""
    return f"{SYMBOLS.get(step.status, '?')} {escape(step.label)}{detail}"


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
    mission: Annotated[str, typer.Option(help="The team's mission.")] = "",
    domain: Annotated[str | None, typer.Option(help="Name of a domain the team owns (made when new).")] = None,
    domain_complexity: Annotated[
        str, typer.Option("--domain-complexity", help="simple, complicated or complex.")
    ] = "complicated",
    value_stream: Annotated[
        str | None, typer.Option("--value-stream", help="Value stream key; default: the epic's, if it has one.")
    ] = None,
    platform_team: Annotated[
        str | None, typer.Option("--platform-team", help="The platform team it consumes; default: the platform team.")
    ] = None,
) -> None:
    """Onboard a team in one step: team, repository from the template, catalog entry, environments,
    ingestion key, linked work and the first pipeline run. Shows progress; prints the key once."""
    body = {
        "team_key": team,
        "team_name": name or "",
        "team_type": team_type,
        "members": member or [],
        "service_key": service,
        "service_name": service_name or service,
        "description": description,
        "template": template,
        "answers": _answers(answer or []),
        "feature_key": feature,
        "epic_key": epic,
        "mission": mission,
        "domain": domain,
        "domain_complexity": domain_complexity,
        "value_stream": value_stream,
        "platform_team": platform_team,
    }
    _onboard(body)


def _answers(given: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--answer {item!r}: write NAME=VALUE", 2)
        answers[key.strip()] = value
    return answers


def _onboard(body: dict[str, Any]) -> None:
    """Start the onboarding, follow it, and say what it made (links) and the key shown once."""
    with domain_errors():
        client = api()
        job = follow(client, client.send(Job, "POST", "/onboardings", json=body))
    if job.status != JobStatus.SUCCEEDED:
        raise fail(f"onboarding failed: {job.error} (nothing was left half-made)", 4)
    result = OnboardingResult.model_validate(job.result)
    say(f"{result.team} can ship: clone {result.clone_url} (an API token is the password)")
    with domain_errors():
        _say_links(client, result)
    if result.ingestion_key:
        say(f"ingestion key (shown once): {result.ingestion_key}")


def _say_links(client: ApiClient, result: OnboardingResult) -> None:
    """What the onboarding made, as URLs; the first pipeline run by its id once it has one."""
    server = client.base_url.removesuffix("/api/v1")
    runs: Page[RunSummary] = client.read(Page[RunSummary], "/runs", service=result.service, limit=50)
    for label, path in result.links(min((r.id for r in runs.items), default=None)):
        say(f"  {label}: {server}{path}")


@template_app.command("list")
def template_list() -> None:
    """List golden-path templates and their versions."""
    with domain_errors():
        templates: list[Template] = api().read(list[Template], "/templates")
    print_table(
        ("key", "name", "newest", "versions", "trusted", "source"),
        (
            (
                t.key,
                t.name,
                t.latest_version or "-",
                ", ".join(t.versions),
                "yes" if t.trusted else "no",
                "built in" if t.builtin else t.source,
            )
            for t in templates
        ),
    )


@template_app.command("register")
def template_register(
    key: Annotated[str, typer.Argument(help="Short stable name.")],
    source: Annotated[str, typer.Option(help="Git repository: an https URL or an absolute path on the server.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    description: Annotated[str, typer.Option(help="What it makes.")] = "",
    trusted: Annotated[bool, typer.Option("--trusted", help="Allow tasks, migrations, extensions (admin).")] = False,
) -> None:
    """Register a copier template (platform role). Unsafe templates are refused with the reason."""
    body = {"key": key, "name": name or key, "description": description, "source": source, "trusted": trusted}
    with domain_errors():
        created: Template = api().send(Template, "POST", "/templates", json=body)
    say(f"registered {created.key} with versions {', '.join(created.versions)}")


@template_app.command("upgrade")
def template_upgrade(
    service: Annotated[list[str] | None, typer.Argument(help="Services to upgrade (default with --all).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every service behind its template's newest version.")] = False,
) -> None:
    """`copier update` per service on a branch template-upgrade/<version>; clean ones are pushed,
    conflicts are reported and nothing is pushed for them."""
    if not service and not every:
        raise fail("name a service or pass --all", 2)
    with domain_errors():
        client = api()
        job = follow(
            client, client.send(Job, "POST", "/fleet/upgrades", json={"services": service or [], "all": every})
        )
    upgrades = [UpgradeRecord.model_validate(u) for u in (job.result or {}).get("upgrades", [])]
    if upgrades:
        print_table(
            ("service", "from", "to", "outcome", "branch / conflicts"),
            (
                (
                    u.service,
                    u.from_version or "-",
                    u.to_version,
                    u.status,
                    u.branch or ", ".join(u.conflicts) or u.detail,
                )
                for u in upgrades
            ),
        )
    else:
        say("nothing to upgrade: every service is on its template's newest version")
    if job.status != JobStatus.SUCCEEDED:
        raise fail(f"the upgrade job failed: {job.error}", 1)
    if any(u.status in {UpgradeStatus.CONFLICT, UpgradeStatus.FAILED} for u in upgrades):
        raise typer.Exit(4)


@repo_app.command("list")
def repo_list(owner: Annotated[str | None, typer.Option(help="Only repositories of this team.")] = None) -> None:
    """List hosted repositories with their clone URLs."""
    with domain_errors():
        page: Page[RepositoryView] = api().read(Page[RepositoryView], "/repositories", limit=200, owner_team=owner)
    print_table(
        ("key", "team", "service", "last push", "clone URL"),
        ((r.key, r.owner_team or "-", r.service_key or "-", _when(r.last_push_at), r.clone_url) for r in page.items),
    )


def _when(moment: datetime | None) -> str:
    """A time as the API spells it, to the second."""
    return moment.isoformat()[:19] if moment else "-"
