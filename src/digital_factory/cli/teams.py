"""`factory team …`: teams, members, domains, interactions, the cognitive-load survey and Team API files."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from digital_factory.cli.client import api, segment
from digital_factory.cli.options import DisplayName
from digital_factory.cli.output import domain_errors, err_console, fail, print_table, say
from digital_factory.core.pagination import Page
from digital_factory.teams.schemas import (
    Domain,
    Interaction,
    LoadWarning,
    SurveyQuestion,
    SurveyResults,
    SurveyScore,
    Team,
    TeamApiImport,
    TeamDetail,
)

team_app = typer.Typer(help="Teams, their topology and cognitive load (through the REST API).", no_args_is_help=True)

DURATION = re.compile(r"^\s*(\d+)\s*(day|days|week|weeks|month|months)\s*$")
TeamKey = Annotated[str, typer.Argument(help="The team's key.")]


@team_app.command("list")
def team_list(
    archived: Annotated[bool, typer.Option("--archived", help="Archived teams too (hidden by default).")] = False,
) -> None:
    """List teams."""
    with domain_errors():
        page: Page[Team] = api().read(Page[Team], "/teams", limit=200, include_archived=archived)
    print_table(
        ["key", "name", "type", "members"] + (["archived"] if archived else []),
        [
            (t.key, t.name, t.team_type, len(t.members))
            + ((t.archived_at.date().isoformat() if t.archived_at else "",) if archived else ())
            for t in page.items
        ],
    )


@team_app.command("archive")
def team_archive(key: TeamKey) -> None:
    """Archive a team: hidden from lists and pickers, no new members, domains or interactions; the services
    it owns keep working."""
    with domain_errors():
        team: Team = api().send(Team, "POST", f"/teams/{segment(key)}/archive")
    say(Text.assemble("archived team ", (team.key, "bold"), " (restore it with `factory team restore`)"))


@team_app.command("restore")
def team_restore(key: TeamKey) -> None:
    """Bring an archived team back."""
    with domain_errors():
        team: Team = api().send(Team, "POST", f"/teams/{segment(key)}/restore")
    say(Text.assemble("restored team ", (team.key, "bold")))


@team_app.command("create")
def team_create(
    key: Annotated[str, typer.Argument(help="Short stable name, e.g. engines.")],
    name: DisplayName,
    team_type: Annotated[
        str, typer.Option("--type", help="stream-aligned, platform, enabling, complicated-subsystem.")
    ] = "stream-aligned",
    mission: Annotated[str, typer.Option(help="What the team is for.")] = "",
) -> None:
    """Create a team."""
    body = {"key": key, "name": name, "team_type": team_type, "mission": mission}
    with domain_errors():
        team: Team = api().send(Team, "POST", "/teams", json=body)
    say(Text.assemble("created team ", (team.key, "bold"), f" ({team.team_type})"))


@team_app.command("show")
def team_show(key: TeamKey) -> None:
    """A team: mission, members, owned domains, interactions, load warnings and latest survey score."""
    with domain_errors():
        team: TeamDetail = api().read(TeamDetail, f"/teams/{segment(key)}")
    say(Text.assemble((team.name, "bold"), f" ({team.key}) · {team.team_type}"))
    if team.archived_at:
        say(f"archived on {team.archived_at.date().isoformat()}")
    if team.mission:
        say(team.mission)
    print_table(
        ["member", "name", "team role"],
        [(m.username, m.display_name, m.team_role) for m in team.members],
        title="Members",
    )
    print_table(
        ["domain", "complexity", "description"],
        [(d.name, d.complexity, d.description) for d in team.domains],
        title="Owned domains",
    )
    print_table(
        ["id", "with", "mode", "role", "from", "to", "purpose"],
        [_interaction_row(i, key) for i in team.interactions],
        title="Interactions",
    )
    _say_warnings(team.warnings, with_source=True)
    latest = team.latest_survey
    if latest:
        say(
            f"cognitive load {latest.period}: {latest.index:.1f}/100 ({latest.band}), "
            f"{latest.respondents} respondent(s)"
        )


def _interaction_row(i: Interaction, key: str) -> tuple[object, ...]:
    other = i.with_team if i.team == key else i.team
    return (i.id, other, i.mode, i.role_of(key), i.starts_on, i.ends_on or "-", i.purpose)


def _say_warnings(warnings: list[LoadWarning], *, with_source: bool = False) -> None:
    for w in warnings:
        source = (f" ({w.source})", "dim") if with_source else ""
        say(Text.assemble((f"{w.severity}:", "yellow"), " ", w.message, source))


@team_app.command("add-member")
def team_add_member(
    key: TeamKey,
    username: Annotated[str, typer.Argument(help="Who joins.")],
    role: Annotated[str, typer.Option("--role", help="Their role in the team, e.g. tech lead.")] = "member",
) -> None:
    """Add a person to a team."""
    with domain_errors():
        api().send(Team, "POST", f"/teams/{segment(key)}/members", json={"username": username, "team_role": role})
    say(f"{username} joined {key} as {role}")


@team_app.command("domain")
def team_domain(
    key: Annotated[str, typer.Argument(help="The owning team's key.")],
    name: Annotated[str, typer.Argument(help="The domain's name.")],
    complexity: Annotated[str, typer.Option(help="simple, complicated or complex.")],
    description: Annotated[str, typer.Option(help="What the domain covers.")] = "",
) -> None:
    """Give a team a domain to own; prints the team's domain-load warnings."""
    body = {"name": name, "complexity": complexity, "description": description}
    with domain_errors():
        client = api()
        domain: Domain = client.send(Domain, "POST", f"/teams/{segment(key)}/domains", json=body)
        warnings: list[LoadWarning] = client.read(list[LoadWarning], f"/teams/{segment(key)}/warnings")
    say(f"{key} owns {domain.name} ({domain.complexity})")
    _say_warnings(warnings)


@team_app.command("interact")
def team_interact(
    key: Annotated[str, typer.Argument(help="The team (consumer for x-as-a-service, facilitator for facilitating).")],
    *,
    with_team: Annotated[str, typer.Option("--with", help="The other team.")],
    mode: Annotated[str, typer.Option(help="collaboration, x-as-a-service or facilitating.")],
    purpose: Annotated[str, typer.Option(help="What the interaction is for.")] = "",
    start: Annotated[str | None, typer.Option(help="Start date (YYYY-MM-DD); default today.")] = None,
    end: Annotated[str | None, typer.Option(help="End date (YYYY-MM-DD).")] = None,
    expected: Annotated[str | None, typer.Option(help="Expected duration, e.g. '6 weeks' or '3 months'.")] = None,
) -> None:
    """Record how two teams work together."""
    body: dict[str, Any] = {"team": key, "with_team": with_team, "mode": mode, "purpose": purpose}
    if start:
        body["starts_on"] = start
    if end:
        body["ends_on"] = end
    if expected:
        body.update(_expected_duration(expected))
    with domain_errors():
        client = api()
        created: Interaction = client.send(Interaction, "POST", "/interactions", json=body)
        warnings: list[LoadWarning] = client.read(list[LoadWarning], f"/teams/{segment(key)}/warnings")
    say(f"interaction {created.id}: {created.team} {created.mode} {created.with_team} from {created.starts_on}")
    _say_warnings(warnings)


def _expected_duration(expected: str) -> dict[str, Any]:
    match = DURATION.match(expected)
    if match is None:
        raise fail(f"--expected: {expected!r} is not a duration like '6 weeks' or '3 months'", 2)
    return {"expected_duration": int(match.group(1)), "expected_duration_unit": match.group(2).rstrip("s") + "s"}


@team_app.command("end-interaction")
def team_end_interaction(
    interaction_id: Annotated[int, typer.Argument(help="The interaction's id (see `factory team show`).")],
    on: Annotated[str | None, typer.Option(help="End date (YYYY-MM-DD); default today.")] = None,
) -> None:
    """End an interaction, keeping its history."""
    with domain_errors():
        day = on or _today()
        ended: Interaction = api().send(
            Interaction, "PATCH", f"/interactions/{segment(interaction_id)}", json={"ends_on": day}
        )
    say(f"interaction {ended.id} ({ended.team} {ended.mode} {ended.with_team}) ends {day}")


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


@team_app.command("export")
def team_export(
    key: TeamKey,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")] = None,
) -> None:
    """Write the team's Team API document (TeamAPI-As-Code plus members and domains)."""
    if fmt not in {"yaml", "json"}:
        raise fail("--format must be yaml or json", 2)
    with domain_errors():
        document: dict[str, Any] = api().read(dict[str, Any], f"/teams/{segment(key)}/team-api", format="json")
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else _yaml(document)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(Text(f"wrote {output}"))


def _yaml(document: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)


@team_app.command("import")
def team_import(
    path: Annotated[Path, typer.Argument(help="A Team API file (.yaml, .yml or .json); `-` reads stdin.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only check the document.")] = False,
) -> None:
    """Create or update a team from a Team API file. Any problem refuses the whole file."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}", 2) from None
    with domain_errors():
        result: TeamApiImport = api().send(
            TeamApiImport,
            "POST",
            "/teams/import",
            params={"dry_run": "true" if dry_run else "false"},
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/yaml"},
        )
    verb = ("would create" if result.created else "would update") if result.dry_run else None
    verb = verb or ("created" if result.created else "updated")
    say(Text.assemble(f"{verb} team ", (result.team, "bold")))
    for part in result.ignored:
        say(Text(f"{part}: reported by the catalog, not imported", style="dim"))


@team_app.command("survey")
def team_survey(
    key: TeamKey,
    answer: Annotated[
        list[str] | None,
        typer.Option("--answer", "-a", help="question=1..5 (repeatable); unanswered questions are asked."),
    ] = None,
    on: Annotated[str | None, typer.Option(help="Date answered (YYYY-MM-DD); default today.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Only show the scores over time.")] = False,
) -> None:
    """Answer the cognitive-load survey for your team (1 = strongly disagree … 5 = strongly agree)."""
    with domain_errors():
        client = api()
        if not show:
            answers = _answers(client.read(list[SurveyQuestion], "/survey/questions"), answer or [])
            body: dict[str, Any] = {"answers": answers}
            if on:
                body["answered_on"] = on
            score: SurveyScore = client.send(SurveyScore, "POST", f"/teams/{segment(key)}/survey", json=body)
            say(f"recorded; {score.period}: {score.index:.1f}/100 ({score.band})")
        results: SurveyResults = client.read(SurveyResults, f"/teams/{segment(key)}/survey")
    print_table(
        ["month", "index", "band", "intrinsic", "extraneous", "germane", "effective (1-5)", "respondents"],
        [
            (
                s.period,
                f"{s.index:.1f}",
                s.band,
                f"{s.intrinsic:.1f}",
                f"{s.extraneous:.1f}",
                f"{s.germane:.1f}",
                f"{s.headline:.2f}",
                s.respondents,
            )
            for s in results.scores
        ],
    )


def _answers(questions: list[SurveyQuestion], given: list[str]) -> dict[str, int]:
    answers: dict[str, int] = {}
    for item in given:
        question, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise fail(f"--answer {item!r}: expected question=1..5", 2)
        answers[question.strip()] = int(value)
    for q in questions:
        while q.id not in answers:
            said: int = typer.prompt(f"{q.text} ({q.id}, 1-5)", type=int)
            if 1 <= said <= 5:
                answers[q.id] = said
            else:
                err_console.print("answer 1 (strongly disagree) to 5 (strongly agree)")
    return answers
