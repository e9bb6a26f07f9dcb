"""`factory epic list|show|create|update`: epics with their hypothesis, business case and indicators."""

from __future__ import annotations

from typing import Annotated

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.cli.portfolio.apps import epic_app
from digital_factory.cli.portfolio.common import EpicKey, FromJson, ItemType, NewTitle, body, column, edit, minute, wsjf
from digital_factory.core.pagination import Page
from digital_factory.portfolio.schemas import Epic, EpicSummary, FeatureSummary, Transition


@epic_app.command("list")
def epic_list(
    state: Annotated[str | None, typer.Option(help="funnel, reviewing, analyzing, ready, implementing, done.")] = None,
    theme: Annotated[str | None, typer.Option(help="Only epics of this theme.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only epics of this owner.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Words in the title.")] = None,
    limit: Annotated[int, typer.Option(help="How many (newest moves first).")] = 50,
) -> None:
    """List epics."""
    with domain_errors():
        page: Page[EpicSummary] = api().read(
            Page[EpicSummary], "/epics", state=state, theme=theme, owner=owner, q=search, limit=limit
        )
    print_table(
        ("key", "title", "column", "owner", "WSJF", "features"),
        [(e.key, e.title, column(e), e.owner or "-", wsjf(e.score), e.feature_count) for e in page.items],
    )
    if page.total > len(page.items):
        say(f"{len(page.items)} of {page.total} epics")


@epic_app.command("show")
def epic_show(key: EpicKey) -> None:
    """Show an epic: hypothesis, business case, indicators, features and its kanban history."""
    with domain_errors():
        client = api()
        epic: Epic = client.read(Epic, f"/epics/{segment(key)}")
        features: list[FeatureSummary] = client.read(list[FeatureSummary], f"/epics/{segment(key)}/features")
        history: list[Transition] = client.read(list[Transition], f"/epics/{segment(key)}/transitions")
    say(f"{epic.key} {epic.title}  [{column(epic)}]  WSJF {wsjf(epic.score)}")
    say(f"owner: {epic.owner or '-'}  themes: {', '.join(epic.themes) or '-'}  type: {epic.epic_type}")
    _case(epic)
    if epic.leading_indicators:
        print_table(
            ("indicator", "query", "baseline", "target", "deadline", "weight"),
            [
                (
                    i.name,
                    i.metric_query,
                    f"{i.baseline:g}",
                    f"{'↑' if i.direction == 'increase' else '↓'} {i.target:g}",
                    i.deadline,
                    f"{i.weight:g}",
                )
                for i in epic.leading_indicators
            ],
        )
    if features:
        print_table(
            ("feature", "title", "team", "state", "WSJF"),
            [(f.key, f.title, f.team or "-", f.state, wsjf(f.score)) for f in features],
        )
    for t in history:
        why = f" — {t.reason}" if t.reason else ""
        say(f"  {minute(t.at)} {t.actor_name}: {t.from_column or '(new)'} → {t.to_column}{why}")


def _case(epic: Epic) -> None:
    """The hypothesis statement, the outcomes and the business case, where there are any."""
    h = epic.hypothesis
    if any(h.model_dump().values()):
        say(
            f"For {h.for_customers} who {h.who}, the {h.the_solution} is a {h.is_a} that {h.that}. "
            f"Unlike {h.unlike}, our solution {h.our_solution}."
        )
    for outcome in epic.business_outcomes:
        say(f"  outcome: {outcome}")
    case = epic.business_case
    if case:
        costs = f"MVP {case.mvp_cost:,} / full {case.full_cost:,} {epic.currency}"
        say(f"business case: {costs}, recommendation {case.recommendation}")


@epic_app.command("create")
def epic_create(
    *,
    title: Annotated[str | None, typer.Option(help="Short name of the idea.")] = None,
    description: Annotated[str | None, typer.Option(help="What it is.")] = None,
    epic_type: ItemType = None,
    owner: Annotated[str | None, typer.Option(help="Username of the epic owner.")] = None,
    theme: Annotated[list[str] | None, typer.Option("--theme", help="Theme key (repeatable).")] = None,
    from_json: FromJson = None,
) -> None:
    """Create an epic (it enters the Funnel). Hypothesis, business case and indicators: use --json."""
    fields = body(from_json, title=title, description=description, epic_type=epic_type, owner=owner, themes=theme)
    with domain_errors():
        epic: Epic = api().send(Epic, "POST", "/epics", json=fields)
    say(f"created epic {epic.key} in the funnel: {epic.title}")


@epic_app.command("update")
def epic_update(
    key: EpicKey,
    title: NewTitle = None,
    owner: Annotated[str | None, typer.Option(help="New owner (username).")] = None,
    mvp: Annotated[str | None, typer.Option(help="The MVP definition.")] = None,
    from_json: FromJson = None,
) -> None:
    """Change an epic; the fields in --json replace theirs (lists are replaced whole)."""
    fields = body(from_json, title=title, owner=owner, mvp_definition=mvp)
    epic = edit(Epic, f"/epics/{segment(key)}", fields, "options or --json")
    say(f"updated {epic.key}")
