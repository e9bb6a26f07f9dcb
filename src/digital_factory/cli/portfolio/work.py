"""`factory feature …` and `factory story …`: product work under epics, flow states and team backlogs."""

from __future__ import annotations

from typing import Annotated

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.options import Reason
from digital_factory.cli.output import domain_errors, print_table, say
from digital_factory.cli.portfolio.apps import feature_app, story_app
from digital_factory.cli.portfolio.common import (
    FeatureKey,
    FromJson,
    ItemType,
    NewTitle,
    ScoreNote,
    ScoreValues,
    body,
    edit,
    minute,
    send_score,
    wsjf,
)
from digital_factory.core.pagination import Page
from digital_factory.portfolio.schemas import Feature, FeatureSummary, Story, TeamBacklog, WorkTransition

KeyArgument = Annotated[str, typer.Argument(help="e.g. FEAT-1 or STORY-1")]
StateArgument = Annotated[str, typer.Argument(help="new, active, waiting or done.")]
StateFilter = Annotated[str | None, typer.Option(help="new, active, waiting or done.")]
StoryKey = Annotated[str, typer.Argument(help="e.g. STORY-1")]
StoryPoints = Annotated[int | None, typer.Option(help="Story points.")]

# --- features ----------------------------------------------------------------------------------------


@feature_app.command("list")
def feature_list(
    epic: Annotated[str | None, typer.Option(help="Only features of this epic.")] = None,
    team: Annotated[str | None, typer.Option(help="Only features of this team.")] = None,
    state: StateFilter = None,
    limit: Annotated[int, typer.Option(help="How many (by WSJF).")] = 50,
) -> None:
    """List features, ranked by WSJF."""
    with domain_errors():
        page: Page[FeatureSummary] = api().read(
            Page[FeatureSummary], "/features", epic=epic, team=team, state=state, limit=limit
        )
    print_table(
        ("key", "epic", "title", "team", "state", "type", "WSJF", "stories"),
        [
            (
                f.key,
                f.epic,
                f.title,
                f.team or "-",
                f.state,
                f.flow_item,
                wsjf(f.score),
                _stories_done(f),
            )
            for f in page.items
        ],
    )


def _stories_done(feature: FeatureSummary) -> str:
    return f"{feature.stories_done}/{feature.story_count}"


@feature_app.command("show")
def feature_show(key: FeatureKey) -> None:
    """Show a feature and its stories."""
    with domain_errors():
        client = api()
        f: Feature = client.read(Feature, f"/features/{segment(key)}")
        stories: Page[Story] = client.read(Page[Story], "/stories", feature=key, limit=200)
    say(f"{f.key} {f.title}  ({f.epic}, {f.feature_type} {f.flow_item}, {f.state})")
    say(f"team: {f.team or '-'}  WSJF {wsjf(f.score)}")
    if f.benefit_hypothesis:
        say(f"benefit hypothesis: {f.benefit_hypothesis}")
    for criterion in f.acceptance_criteria:
        say(f"  ✓ {criterion}")
    for s in stories.items:
        say(f"  {s.key} [{s.state}] {s.title} ({s.team or 'no team'})")


@feature_app.command("create")
def feature_create(
    *,
    epic: Annotated[str | None, typer.Option(help="The epic, e.g. EPIC-1.")] = None,
    title: Annotated[str | None, typer.Option(help="Short name.")] = None,
    team: Annotated[str | None, typer.Option(help="The team that takes it.")] = None,
    benefit: Annotated[str | None, typer.Option(help="The benefit hypothesis.")] = None,
    criterion: Annotated[
        list[str] | None, typer.Option("--criterion", help="Acceptance criterion (repeatable).")
    ] = None,
    feature_type: ItemType = None,
    flow_item: Annotated[str | None, typer.Option(help="feature, defect, risk or debt.")] = None,
    from_json: FromJson = None,
) -> None:
    """Create a feature under an epic."""
    fields = body(
        from_json,
        epic=epic,
        title=title,
        team=team,
        benefit_hypothesis=benefit,
        acceptance_criteria=criterion,
        feature_type=feature_type,
        flow_item=flow_item,
    )
    with domain_errors():
        f: Feature = api().send(Feature, "POST", "/features", json=fields)
    say(f"created feature {f.key} under {f.epic}: {f.title}")


@feature_app.command("assign")
def feature_assign(key: FeatureKey, team: Annotated[str, typer.Argument(help="Team key, or - for none.")]) -> None:
    """Hand a feature to a team."""
    with domain_errors():
        f: Feature = api().send(
            Feature, "PATCH", f"/features/{segment(key)}", json={"team": None if team == "-" else team}
        )
    say(f"{f.key} → {f.team or 'no team'}")


CriteriaOption = Annotated[
    list[str] | None, typer.Option("--criterion", help="An acceptance criterion (repeatable); replaces them all.")
]


@feature_app.command("edit")
def feature_edit(
    key: FeatureKey,
    title: NewTitle = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    hypothesis: Annotated[str | None, typer.Option(help="New benefit hypothesis.")] = None,
    criterion: CriteriaOption = None,
    from_json: FromJson = None,
) -> None:
    """Change a feature's title, description, benefit hypothesis or acceptance criteria (only what is given)."""
    fields = body(
        from_json, title=title, description=description, benefit_hypothesis=hypothesis, acceptance_criteria=criterion
    )
    f = edit(Feature, f"/features/{segment(key)}", fields, "--title, --description, --hypothesis or --criterion")
    say(f"updated {f.key}: {f.title}")
    if f.benefit_hypothesis:
        say(f"benefit hypothesis: {f.benefit_hypothesis}")


@feature_app.command("move")
def feature_move(key: KeyArgument, to: StateArgument, reason: Reason = "") -> None:
    """Change a feature's flow state."""
    _move(Feature, f"/features/{segment(key)}/state", to, reason)


@feature_app.command("score")
def feature_score(key: FeatureKey, values: ScoreValues, note: ScoreNote = "") -> None:
    """Score a feature with WSJF."""
    f = send_score(Feature, f"/features/{segment(key)}/scores", values, note)
    say(f"{f.key}: WSJF {wsjf(f.score)}")


def _move(shape: type[Feature] | type[Story], path: str, to: str, reason: str) -> None:
    """Change a feature's or a story's flow state and say where it is now."""
    with domain_errors():
        item: Feature | Story = api().send(shape, "POST", path, json={"to": to, "reason": reason})
    say(f"{item.key} is {item.state}")


# --- stories -----------------------------------------------------------------------------------------


@story_app.command("list")
def story_list(
    feature: Annotated[str | None, typer.Option(help="Only stories of this feature.")] = None,
    team: Annotated[str | None, typer.Option(help="Only stories of this team.")] = None,
    state: StateFilter = None,
    limit: Annotated[int, typer.Option(help="How many (backlog order).")] = 50,
) -> None:
    """List stories."""
    with domain_errors():
        page: Page[Story] = api().read(Page[Story], "/stories", feature=feature, team=team, state=state, limit=limit)
    _stories_table(page.items)


def _stories_table(stories: list[Story]) -> None:
    print_table(
        ("key", "feature", "title", "team", "state", "points"),
        [(s.key, s.feature, s.title, s.team or "-", s.state, "-" if s.points is None else s.points) for s in stories],
    )


@story_app.command("show")
def story_show(key: StoryKey) -> None:
    """Show a story and its flow-state history."""
    with domain_errors():
        client = api()
        s: Story = client.read(Story, f"/stories/{segment(key)}")
        history: list[WorkTransition] = client.read(list[WorkTransition], f"/stories/{segment(key)}/history")
    say(f"{s.key} {s.title}  ({s.feature} / {s.epic}, {s.state}, {s.team or 'no team'})")
    if s.description:
        say(s.description)
    for h in history:
        say(f"  {minute(h.at)} {h.actor_name}: {h.from_state or '(new)'} → {h.to_state}")


@story_app.command("create")
def story_create(
    feature: Annotated[str, typer.Option(help="The feature, e.g. FEAT-1.")],
    title: Annotated[str, typer.Option(help="Short name.")],
    description: Annotated[str | None, typer.Option(help="As a …, I want … so that ….")] = None,
    team: Annotated[str | None, typer.Option(help="Default: the feature's team.")] = None,
    points: StoryPoints = None,
) -> None:
    """Create a story under a feature; it joins the end of its team's backlog."""
    fields = body(None, feature=feature, title=title, description=description, team=team, points=points)
    with domain_errors():
        s: Story = api().send(Story, "POST", "/stories", json=fields)
    say(f"created story {s.key} for {s.team or 'no team'}: {s.title}")


@story_app.command("edit")
def story_edit(
    key: StoryKey,
    title: NewTitle = None,
    description: Annotated[str | None, typer.Option(help="The story text: As a …, I want … so that ….")] = None,
    criterion: CriteriaOption = None,
    points: StoryPoints = None,
) -> None:
    """Change a story's title, text, acceptance criteria or points (only what is given)."""
    fields = body(None, title=title, description=description, acceptance_criteria=criterion, points=points)
    s = edit(Story, f"/stories/{segment(key)}", fields, "--title, --description, --criterion or --points")
    say(f"updated {s.key}: {s.title}")
    if s.description:
        say(s.description)


@story_app.command("move")
def story_move(key: KeyArgument, to: StateArgument, reason: Reason = "") -> None:
    """Change a story's flow state."""
    _move(Story, f"/stories/{segment(key)}/state", to, reason)


@story_app.command("backlog")
def story_backlog(
    team: Annotated[str, typer.Argument(help="Team key.")],
    order: Annotated[
        list[str] | None, typer.Option("--order", help="Story keys in their new order (repeatable).")
    ] = None,
) -> None:
    """Show a team's backlog, or reorder stories in it."""
    with domain_errors():
        client, path = api(), f"/backlogs/{segment(team)}"
        backlog: TeamBacklog = (
            client.send(TeamBacklog, "PUT", path, json={"stories": order}) if order else client.read(TeamBacklog, path)
        )
    _stories_table(backlog.stories)
