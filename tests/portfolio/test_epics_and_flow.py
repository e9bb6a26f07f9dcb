"""Epics on the portfolio kanban: gates, WIP limits and overrides, decisions, history and audit."""

from __future__ import annotations

from datetime import date

import pytest

from digital_factory.accounts.schemas import AuditFilter
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.errors import Conflict, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    DecisionKind,
    DoneReason,
    EpicFilter,
    EpicState,
    Gate,
    IndicatorSpec,
    KanbanConfigUpdate,
    Rescore,
    RescoreItem,
    ScoreInput,
    Substate,
    ThemeCreate,
)
from tests.portfolio.builders import CASE, HYPOTHESIS, INDICATOR, decide, epic, move, people, ready_epic, update
from tests.statements import selects


def test_an_epic_walks_the_kanban_and_leaves_a_full_history(runtime: Runtime) -> None:
    board, pm = people(runtime)
    key = _walk_through_every_gate(runtime, board, pm)
    with runtime.store.unit_of_work(pm, write=False) as uow:
        final = portfolio.get_epic(uow, key)
        history = portfolio.list_transitions(uow, key)
        decisions = portfolio.list_decisions(uow, key)
        moves = list_audit_entries(uow, AuditFilter(action="epic.move"), PageRequest(limit=50)).items
    assert (final.state, final.done_reason) == (EpicState.DONE, DoneReason.COMPLETED)
    assert [(t.from_column, t.to_column) for t in history] == [
        (None, "funnel"),
        ("funnel", "reviewing"),
        ("reviewing", "analyzing"),
        ("analyzing", "ready"),
        ("ready", "implementing:mvp"),
        ("implementing:mvp", "implementing:persevere"),
        ("implementing:persevere", "done"),
    ]
    assert history[1].reason == "worth a look" and history[1].actor_name == "paul"
    assert history[5].decision is DecisionKind.PERSEVERE and history[5].actor_name == "bea"
    assert [d.kind for d in decisions] == [DecisionKind.GO, DecisionKind.PERSEVERE]
    assert decisions[1].evidence == {"Heavy-lift units sold": 31.0}
    # every move is in the audit log too, newest first
    assert [(e.before, e.after["column"] if e.after else None) for e in moves] == [
        ({"column": t.from_column}, t.to_column) for t in reversed(history[1:])
    ]
    with pytest.raises(Conflict) as final_refusal:
        move(runtime, board, key, "funnel")
    assert final_refusal.value.rule == "transition-not-allowed"


def _walk_through_every_gate(runtime: Runtime, board: Actor, pm: Actor) -> str:
    """Each gate refuses (naming itself) until its condition holds; returns the epic's key."""
    with runtime.store.unit_of_work(board) as uow:
        theme = portfolio.create_theme(uow, ThemeCreate(objective="Grow market share in heavy lift"))
    made = epic(runtime, pm, themes=[theme.key])
    assert (made.key, made.state, made.themes) == ("EPIC-1", EpicState.FUNNEL, [theme.key])

    with pytest.raises(Conflict) as refused:
        move(runtime, pm, made.key, "reviewing")
    assert refused.value.rule == "reviewing-needs-hypothesis"

    update(runtime, pm, made.key, hypothesis=HYPOTHESIS, owner="bea")
    move(runtime, pm, made.key, "reviewing", reason="worth a look")
    with pytest.raises(Conflict) as unscored:
        move(runtime, pm, made.key, "analyzing")
    assert unscored.value.rule == "analyzing-needs-owner-and-wsjf"
    with runtime.store.unit_of_work(pm) as uow:
        portfolio.score_epic(
            uow, made.key, ScoreInput(user_business_value=20, time_criticality=8, risk_reduction=13, job_size=8)
        )
    move(runtime, pm, made.key, "analyzing")

    with pytest.raises(Conflict) as no_case:
        move(runtime, pm, made.key, "ready")
    assert no_case.value.rule == "ready-needs-business-case"
    assert "ready-needs-mvp" in no_case.value.detail
    update(runtime, pm, made.key, business_case=CASE, mvp_definition="one drone, 25 kg, 20 km")
    move(runtime, pm, made.key, "ready")

    with pytest.raises(Conflict) as no_go:
        move(runtime, pm, made.key, "implementing")
    assert no_go.value.rule == "implementing-needs-go"
    assert "implementing-needs-indicators" in no_go.value.detail
    with pytest.raises(PermissionDenied):
        decide(runtime, pm, made.key, DecisionKind.GO)
    decide(runtime, board, made.key, DecisionKind.GO)
    update(runtime, pm, made.key, leading_indicators=[INDICATOR])
    move(runtime, pm, made.key, "implementing")

    with pytest.raises(Conflict) as not_decided:
        move(runtime, pm, made.key, "implementing:persevere")
    assert not_decided.value.rule == "persevere-needs-decision"
    decide(runtime, board, made.key, DecisionKind.PERSEVERE, evidence={"Heavy-lift units sold": 31.0})
    with pytest.raises(Conflict) as no_reason:
        move(runtime, pm, made.key, "done")
    assert no_reason.value.rule == "done-needs-reason"
    move(runtime, pm, made.key, "done", done_reason=DoneReason.COMPLETED, reason="market share reached")
    return made.key


def test_wip_limits_refuse_and_the_board_overrides_with_a_reason(runtime: Runtime) -> None:
    board, pm = people(runtime)
    with runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits={EpicState.REVIEWING: 1}))
    first = epic(runtime, pm, "First", hypothesis=HYPOTHESIS)
    second = epic(runtime, pm, "Second", hypothesis=HYPOTHESIS)
    move(runtime, pm, first.key, "reviewing")
    with pytest.raises(Conflict) as full:
        move(runtime, pm, second.key, "reviewing")
    assert full.value.rule == "wip-limit" and "1 of 1" in full.value.detail
    with pytest.raises(PermissionDenied):
        move(runtime, pm, second.key, "reviewing", wip_override_reason="urgent")
    with pytest.raises(ValidationFailed) as blank:
        move(runtime, board, second.key, "reviewing", wip_override_reason="  ")
    assert blank.value.problems[0].field == "wip_override_reason"
    move(runtime, board, second.key, "reviewing", wip_override_reason="the customer is waiting")
    with runtime.store.unit_of_work(pm, write=False) as uow:
        history = portfolio.list_transitions(uow, second.key)
        entry = list_audit_entries(uow, AuditFilter(action="epic.move", object_id=second.key), PageRequest()).items[0]
        board_view = portfolio.board(uow)
    assert history[-1].wip_override and "the customer is waiting" in history[-1].reason
    assert entry.after is not None and entry.after["wip_override"] == "the customer is waiting"
    reviewing = next(c for c in board_view.columns if c.id == "reviewing")
    assert (reviewing.count, reviewing.wip_limit, reviewing.full) == (2, 1, True)


def test_gates_can_be_switched_off(runtime: Runtime) -> None:
    board, pm = people(runtime)
    made = epic(runtime, pm)
    with runtime.store.unit_of_work(pm) as uow, pytest.raises(PermissionDenied):
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(gates={Gate.REVIEWING_NEEDS_HYPOTHESIS: False}))
    with runtime.store.unit_of_work(board) as uow:
        config = portfolio.update_kanban_config(uow, KanbanConfigUpdate(gates={Gate.REVIEWING_NEEDS_HYPOTHESIS: False}))
    assert {g.gate: g.enabled for g in config.gates}[Gate.REVIEWING_NEEDS_HYPOTHESIS] is False
    move(runtime, pm, made.key, "reviewing")
    with runtime.store.unit_of_work(board, write=False) as uow:
        entry = list_audit_entries(uow, AuditFilter(action="kanban.configure"), PageRequest()).items[0]
    assert entry.before is not None and entry.after is not None
    assert entry.before["gates"]["reviewing-needs-hypothesis"] is True
    assert entry.after["gates"]["reviewing-needs-hypothesis"] is False


def test_decisions_pivot_stop_and_no_go(runtime: Runtime) -> None:
    board, pm = people(runtime)
    pivoting = ready_epic(runtime, board, "Pivoting")
    move(runtime, pm, pivoting.key, "implementing")
    decide(runtime, board, pivoting.key, DecisionKind.PIVOT)
    with runtime.store.unit_of_work(pm, write=False) as uow:
        after_pivot = portfolio.get_epic(uow, pivoting.key)
    assert (after_pivot.state, after_pivot.substate) == (EpicState.REVIEWING, None)
    # a pivot withdraws the go: the reworked epic needs a new one before implementing again
    for column in ("analyzing", "ready"):
        move(runtime, pm, pivoting.key, column)
    with pytest.raises(Conflict) as needs_go:
        move(runtime, pm, pivoting.key, "implementing")
    assert needs_go.value.rule == "implementing-needs-go"

    stopping = ready_epic(runtime, board, "Stopping")
    move(runtime, pm, stopping.key, "implementing")
    with pytest.raises(Conflict) as wrong_place:
        decide(runtime, board, stopping.key, DecisionKind.GO)
    assert wrong_place.value.rule == "decision-not-allowed"
    decide(runtime, board, stopping.key, DecisionKind.STOP)

    rejected = epic(runtime, pm, "Rejected", hypothesis=HYPOTHESIS)
    move(runtime, pm, rejected.key, "reviewing")
    with pytest.raises(PermissionDenied):
        move(runtime, pm, rejected.key, "done", done_reason=DoneReason.REJECTED)
    move(runtime, board, rejected.key, "done", done_reason=DoneReason.REJECTED, reason="not our market")
    with runtime.store.unit_of_work(pm, write=False) as uow:
        stopped = portfolio.get_epic(uow, stopping.key)
        rejected_decisions = portfolio.list_decisions(uow, rejected.key)
    assert (stopped.state, stopped.done_reason, stopped.substate) == (
        EpicState.DONE,
        DoneReason.STOPPED_AFTER_MVP,
        None,
    )
    # a plain move that is a board decision records that decision
    assert [(d.kind, d.rationale) for d in rejected_decisions] == [(DecisionKind.NO_GO, "not our market")]


def test_epic_input_is_validated(runtime: Runtime) -> None:
    _, pm = people(runtime)
    with pytest.raises(ValidationFailed) as unknown_owner:
        epic(runtime, pm, owner="ghost")
    assert unknown_owner.value.problems[0].field == "owner"
    with pytest.raises(ValidationFailed) as unknown_theme:
        epic(runtime, pm, themes=["THEME-9"])
    assert unknown_theme.value.problems[0].field == "themes"
    with pytest.raises(ValueError, match="target above its baseline"):
        IndicatorSpec(name="x", metric_query="sum(a[1d])", baseline=5, target=5, deadline=date(2027, 1, 1))
    with pytest.raises(ValueError, match="not an aggregation"):
        IndicatorSpec(name="x", metric_query="mean(a[1d])", baseline=0, target=5, deadline=date(2027, 1, 1))
    with runtime.store.unit_of_work(pm, write=False) as uow:
        assert portfolio.list_epics(uow, EpicFilter(), PageRequest()).total == 0


def test_backlog_is_ranked_by_wsjf_and_rescored_in_one_go(runtime: Runtime) -> None:
    _, pm = people(runtime)
    keys = []
    for title, score in (
        ("Low", (1, 1, 1, 13)),
        ("High", (8, 13, 5, 3)),
        ("Mid", (20, 8, 13, 8)),
        ("Unscored", None),
    ):
        made = epic(runtime, pm, title, hypothesis=HYPOTHESIS, score=_score(score) if score else None)
        move(runtime, pm, made.key, "reviewing")
        keys.append(made.key)
    epic(runtime, pm, "Still in the funnel")
    with runtime.store.unit_of_work(pm, write=False) as uow:
        ranked = portfolio.backlog(uow)
    assert [e.epic.title for e in ranked.entries] == ["High", "Mid", "Low", "Unscored"]
    assert [e.rank for e in ranked.entries] == [1, 2, 3, 4]
    assert ranked.columns_without_one == ["job_size"]  # relative estimation puts a 1 on the smallest job

    with runtime.store.unit_of_work(pm) as uow:
        changed = portfolio.rescore_epics(
            uow,
            Rescore(
                note="PI 3 planning",
                scores=[
                    RescoreItem(
                        key=keys[0], user_business_value=20, time_criticality=20, risk_reduction=20, job_size=1
                    ),
                    RescoreItem(key=keys[1], user_business_value=8, time_criticality=13, risk_reduction=5, job_size=3),
                ],
            ),
        )
    assert [c.key for c in changed] == [keys[0]]  # the unchanged row leaves no history
    with pytest.raises(ValidationFailed), runtime.store.unit_of_work(pm) as uow:
        portfolio.rescore_epics(
            uow,
            Rescore(
                scores=[
                    RescoreItem(key="EPIC-99", user_business_value=1, time_criticality=1, risk_reduction=1, job_size=1)
                ]
            ),
        )
    with runtime.store.unit_of_work(pm, write=False) as uow:
        ranked = portfolio.backlog(uow)
        history = portfolio.score_history(uow, keys[0])
    assert ranked.entries[0].epic.title == "Low" and ranked.entries[0].epic.score is not None
    assert ranked.entries[0].epic.score.wsjf == 60
    assert [(h.wsjf, h.note) for h in history] == [(pytest.approx(3 / 13), ""), (60.0, "PI 3 planning")]


def _score(values: tuple[int, int, int, int]) -> ScoreInput:
    ubv, tc, rr, size = values
    return ScoreInput(user_business_value=ubv, time_criticality=tc, risk_reduction=rr, job_size=size)


def test_board_shows_counts_and_a_bounded_number_of_cards(runtime: Runtime) -> None:
    _, pm = people(runtime)
    for n in range(7):
        epic(runtime, pm, f"Idea {n}")
    with runtime.store.unit_of_work(pm, write=False) as uow:
        board = portfolio.board(uow, cards_per_column=5)
    funnel = board.columns[0]
    assert (funnel.id, funnel.count, len(funnel.cards), funnel.more) == ("funnel", 7, 5, 2)
    assert [c.title for c in funnel.cards] == [f"Idea {n}" for n in (6, 5, 4, 3, 2)]  # newest first
    assert [c.id for c in board.columns] == [
        "funnel",
        "reviewing",
        "analyzing",
        "ready",
        "implementing:mvp",
        "implementing:persevere",
        "done",
    ]
    assert board.total == 7 and all(c.count == 0 for c in board.columns[1:])


def test_implementing_counts_both_stages_toward_its_limit(runtime: Runtime) -> None:
    board, pm = people(runtime)
    with runtime.store.unit_of_work(board) as uow:
        portfolio.update_kanban_config(uow, KanbanConfigUpdate(wip_limits={EpicState.IMPLEMENTING: 1}))
    one = ready_epic(runtime, board, "One")
    two = ready_epic(runtime, board, "Two")
    move(runtime, pm, one.key, "implementing")
    decide(runtime, board, one.key, DecisionKind.PERSEVERE)
    with pytest.raises(Conflict) as full:
        move(runtime, pm, two.key, "implementing")
    assert full.value.rule == "wip-limit"
    with runtime.store.unit_of_work(pm, write=False) as uow:
        columns = {c.id: c for c in portfolio.board(uow).columns}
    assert columns["implementing:persevere"].cards[0].substate is Substate.PERSEVERE
    assert columns["implementing:mvp"].state_count == 1 and columns["implementing:mvp"].full


def test_the_board_costs_the_same_few_statements_however_many_epics(runtime: Runtime) -> None:
    _, pm = people(runtime)

    def statements() -> int:
        with selects(runtime) as seen, runtime.store.unit_of_work(pm, write=False) as uow:
            portfolio.board(uow)
        return len(seen)

    epic(runtime, pm, "First", owner="paul")
    few = statements()
    for n in range(12):
        made = epic(runtime, pm, f"Idea {n}", owner="bea" if n % 2 else "paul", hypothesis=HYPOTHESIS)
        if n < 5:
            move(runtime, pm, made.key, "reviewing")
    assert statements() == few == 4  # cards, counts, owners, WIP limits
