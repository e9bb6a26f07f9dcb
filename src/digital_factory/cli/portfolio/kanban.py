"""`factory epic move|decide|score|backlog|board|kanban`: the portfolio kanban and WSJF."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from digital_factory.cli.client import api, segment
from digital_factory.cli.output import domain_errors, fail, print_table, say
from digital_factory.cli.portfolio.apps import epic_app
from digital_factory.cli.portfolio.common import EpicKey, ScoreNote, ScoreValues, column, send_score, wsjf
from digital_factory.portfolio.schemas import (
    Backlog,
    Board,
    DecisionResult,
    EpicSummary,
    KanbanConfig,
    MoveResult,
    WsjfScore,
)


@epic_app.command("move")
def epic_move(
    key: EpicKey,
    to: Annotated[str, typer.Argument(help="funnel, reviewing, analyzing, ready, implementing[:persevere], done.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
    done_reason: Annotated[
        str | None, typer.Option(help="Moving to done: completed, no-go, stopped-after-mvp, rejected.")
    ] = None,
    override: Annotated[
        str | None, typer.Option(help="Pass a full column (board only); the reason is recorded.")
    ] = None,
) -> None:
    """Move an epic on the portfolio kanban."""
    fields = {"to": to, "reason": reason, "done_reason": done_reason, "wip_override_reason": override}
    with domain_errors():
        moved: MoveResult = api().send(
            MoveResult, "POST", f"/epics/{segment(key)}/moves", json={k: v for k, v in fields.items() if v is not None}
        )
    t = moved.transition
    note = " (WIP limit overridden)" if t.wip_override else ""
    say(f"{moved.epic.key}: {t.from_column} → {t.to_column}{note}")


@epic_app.command("decide")
def epic_decide(
    key: EpicKey,
    kind: Annotated[str, typer.Argument(help="go, no-go, persevere, pivot or stop.")],
    rationale: Annotated[str, typer.Option(help="Why the board decided so.")],
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="NAME=VALUE observed (repeatable).")] = None,
    override: Annotated[str | None, typer.Option(help="Pass a full column; the reason is recorded.")] = None,
) -> None:
    """Record a board decision; no-go, persevere, pivot and stop also move the epic."""
    observed: dict[str, float] = {}
    for item in evidence or []:
        name, _, value = item.rpartition("=")
        try:
            observed[name.strip()] = float(value)
        except ValueError:
            raise fail(f"--evidence {item!r}: write NAME=NUMBER", 2) from None
    fields: dict[str, Any] = {"kind": kind, "rationale": rationale, "evidence": observed}
    if override is not None:
        fields["wip_override_reason"] = override
    with domain_errors():
        result: DecisionResult = api().send(DecisionResult, "POST", f"/epics/{segment(key)}/decisions", json=fields)
    moved = f"; moved to {result.transition.to_column}" if result.transition else ""
    say(f"{key.upper()}: {kind} recorded{moved}")


@epic_app.command("score")
def epic_score(key: EpicKey, values: ScoreValues, note: ScoreNote = "") -> None:
    """Score an epic with WSJF: cost of delay (UBV + TC + RR) / job size."""
    epic = send_score(EpicSummary, f"/epics/{segment(key)}/scores", values, note)
    cost_of_delay = epic.score.cost_of_delay if epic.score else "-"
    say(f"{epic.key}: WSJF {wsjf(epic.score)} (cost of delay {cost_of_delay})")


@epic_app.command("backlog")
def epic_backlog() -> None:
    """The WSJF-ranked backlog of Reviewing, Analyzing and Ready."""
    with domain_errors():
        ranked: Backlog = api().read(Backlog, "/portfolio/backlog")
    print_table(
        ("#", "key", "title", "column", "UBV", "TC", "RR", "size", "CoD", "WSJF"),
        [
            (entry.rank, entry.epic.key, entry.epic.title, column(entry.epic), *_parts(entry.epic.score))
            for entry in ranked.entries
        ],
    )
    if ranked.columns_without_one:
        say(f"note: no 1 in {', '.join(ranked.columns_without_one)} (the smallest item gets 1)")


def _parts(score: WsjfScore | None) -> list[object]:
    """The score's inputs, its cost of delay and WSJF; dashes when unscored."""
    if score is None:
        return [*["-"] * 5, wsjf(score)]
    return [
        score.user_business_value,
        score.time_criticality,
        score.risk_reduction,
        score.job_size,
        score.cost_of_delay,
        wsjf(score),
    ]


@epic_app.command("board")
def epic_board() -> None:
    """The portfolio kanban: each column's count and WIP limit."""
    with domain_errors():
        board: Board = api().read(Board, "/portfolio/board", cards=5)
    print_table(
        ("column", "epics", "WIP limit", "top"),
        [
            (c.label, c.count, "-" if c.wip_limit is None else c.wip_limit, ", ".join(card.key for card in c.cards))
            for c in board.columns
        ],
    )


@epic_app.command("kanban")
def epic_kanban(
    wip: Annotated[list[str] | None, typer.Option("--wip", help="STATE=LIMIT or STATE=none (repeatable).")] = None,
    gate: Annotated[list[str] | None, typer.Option("--gate", help="GATE=on|off (repeatable).")] = None,
) -> None:
    """Show the kanban's WIP limits and gates, or change them (admin and board)."""
    limits, gates = _wip_limits(wip or []), _gates(gate or [])
    with domain_errors():
        config = _changed_config(limits, gates) if limits or gates else _config()
    print_table(("state", "WIP limit"), [(s.label, "-" if s.wip_limit is None else s.wip_limit) for s in config.states])
    print_table(("gate", "on", "rule"), [(g.gate, "yes" if g.enabled else "no", g.description) for g in config.gates])


def _config() -> KanbanConfig:
    return api().read(KanbanConfig, "/portfolio/kanban")


def _changed_config(limits: dict[str, int | None], gates: dict[str, bool]) -> KanbanConfig:
    return api().send(KanbanConfig, "PATCH", "/portfolio/kanban", json={"wip_limits": limits, "gates": gates})


def _wip_limits(items: list[str]) -> dict[str, int | None]:
    limits: dict[str, int | None] = {}
    for item in items:
        state, _, value = item.partition("=")
        if value.strip().lower() in {"none", "-", ""}:
            limits[state.strip()] = None
        elif value.strip().isdigit():
            limits[state.strip()] = int(value)
        else:
            raise fail(f"--wip {item!r}: write STATE=LIMIT or STATE=none", 2)
    return limits


def _gates(items: list[str]) -> dict[str, bool]:
    gates: dict[str, bool] = {}
    for item in items:
        name, _, value = item.partition("=")
        if value.strip().lower() not in {"on", "off"}:
            raise fail(f"--gate {item!r}: write GATE=on or GATE=off", 2)
        gates[name.strip()] = value.strip().lower() == "on"
    return gates
