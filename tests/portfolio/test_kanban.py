"""The kanban's pure rules: transitions, done reasons, gates, WIP."""

from __future__ import annotations

import pytest

from digital_factory.portfolio import kanban
from digital_factory.portfolio.kanban import Column, DoneReason, Gate

READY_EPIC = kanban.EpicFacts(
    hypothesis_complete=True,
    has_owner=True,
    scored=True,
    has_business_case=True,
    has_mvp=True,
    go_decided=True,
    indicator_count=2,
    persevere_decided=False,
)
BARE_EPIC = kanban.EpicFacts(False, False, False, False, False, False, 0, False)


def test_columns_parse() -> None:
    assert Column.parse("implementing") == kanban.MVP
    assert Column.parse(" Implementing:Persevere ") == kanban.PERSEVERE
    assert Column.parse("ready").label == "Ready"
    for bad in ("nowhere", "ready:mvp", "implementing:later", ""):
        with pytest.raises(ValueError, match="not a column"):
            Column.parse(bad)


def test_transitions() -> None:
    assert kanban.check_transition(kanban.ANALYZING, kanban.READY, None) is None
    refused = kanban.check_transition(kanban.FUNNEL, kanban.READY, None)
    assert refused is not None and refused.rule == "transition-not-allowed"
    assert "Reviewing" in refused.reason
    done = kanban.check_transition(kanban.DONE, kanban.FUNNEL, None)
    assert done is not None and "Done is final" in done.reason
    same = kanban.check_transition(kanban.READY, kanban.READY, None)
    assert same is not None and same.rule == "same-column"


def test_done_reasons_fit_the_source() -> None:
    assert kanban.check_transition(kanban.PERSEVERE, kanban.DONE, DoneReason.COMPLETED) is None
    wrong = kanban.check_transition(kanban.FUNNEL, kanban.DONE, DoneReason.COMPLETED)
    assert wrong is not None and wrong.rule == "done-reason-not-allowed"
    misplaced = kanban.check_transition(kanban.FUNNEL, kanban.REVIEWING, DoneReason.REJECTED)
    assert misplaced is not None and misplaced.rule == "done-reason-not-allowed"
    assert set(kanban.DONE_REASONS_FROM) == set(kanban.COLUMNS) - {kanban.DONE}


def test_gates_name_themselves_and_can_be_switched_off() -> None:
    gates = kanban.check_gates(kanban.READY, BARE_EPIC, None, dict(kanban.DEFAULT_GATES))
    assert [g.rule for g in gates] == ["ready-needs-business-case", "ready-needs-mvp"]
    off = {**kanban.DEFAULT_GATES, Gate.READY_NEEDS_BUSINESS_CASE: False, Gate.READY_NEEDS_MVP: False}
    assert kanban.check_gates(kanban.READY, BARE_EPIC, None, off) == []
    assert kanban.check_gates(kanban.MVP, READY_EPIC, None, dict(kanban.DEFAULT_GATES)) == []
    done = kanban.check_gates(kanban.DONE, READY_EPIC, None, dict(kanban.DEFAULT_GATES))
    assert [g.rule for g in done] == ["done-needs-reason"]
    assert kanban.check_gates(kanban.DONE, READY_EPIC, DoneReason.NO_GO, dict(kanban.DEFAULT_GATES)) == []
    persevere = kanban.check_gates(kanban.PERSEVERE, READY_EPIC, None, dict(kanban.DEFAULT_GATES))
    assert [g.rule for g in persevere] == ["persevere-needs-decision"]


def test_every_gate_guards_a_reachable_column() -> None:
    reachable = {target for targets in kanban.TRANSITIONS.values() for target in targets}
    assert all(spec.entering in reachable for spec in kanban.GATES.values())


def test_wip_limit() -> None:
    assert kanban.wip_refusal(kanban.REVIEWING, kanban.ANALYZING, 3, 4) is None
    full = kanban.wip_refusal(kanban.REVIEWING, kanban.ANALYZING, 4, 4)
    assert full is not None and full.rule == "wip-limit" and "4 of 4" in full.reason
    assert kanban.wip_refusal(kanban.REVIEWING, kanban.ANALYZING, 99, None) is None
    # moving between the stages of Implementing takes no new slot
    assert kanban.wip_refusal(kanban.MVP, kanban.PERSEVERE, 5, 5) is None


def test_decisions_and_their_moves() -> None:
    assert kanban.decision_move(kanban.DecisionKind.GO, kanban.ANALYZING) is None
    assert kanban.decision_move(kanban.DecisionKind.NO_GO, kanban.REVIEWING) == (kanban.DONE, DoneReason.REJECTED)
    assert kanban.decision_move(kanban.DecisionKind.NO_GO, kanban.ANALYZING) == (kanban.DONE, DoneReason.NO_GO)
    assert kanban.decision_move(kanban.DecisionKind.PERSEVERE, kanban.MVP) == (kanban.PERSEVERE, None)
    assert kanban.decision_move(kanban.DecisionKind.PIVOT, kanban.MVP) == (kanban.REVIEWING, None)
    assert kanban.decision_move(kanban.DecisionKind.STOP, kanban.MVP) == (kanban.DONE, DoneReason.STOPPED_AFTER_MVP)
    for kind, sources in kanban.DECISION_FROM.items():
        for source in sources:
            move = kanban.decision_move(kind, source)
            if move is not None:
                assert kanban.check_transition(source, move[0], move[1]) is None, (kind, source)


def test_work_item_flow() -> None:
    assert kanban.check_work_transition("new", "active") is None
    assert kanban.check_work_transition("done", "active") is None
    refused = kanban.check_work_transition("new", "done")
    assert refused is not None and "active, waiting" in refused.reason
