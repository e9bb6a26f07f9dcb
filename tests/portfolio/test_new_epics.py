"""Epics created together: the answer is what a read gives back, a few statements whatever their number,
each recorded as created, and one invalid epic stores none."""

from __future__ import annotations

from typing import Any

import pytest

from digital_factory.accounts.schemas import AuditFilter
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicCreate, EpicFilter, ScoreInput, ThemeCreate
from tests.portfolio.builders import CASE, HYPOTHESIS, INDICATOR, people
from tests.statements import statements


def _themes(runtime: Runtime, board: Actor) -> list[str]:
    with runtime.store.unit_of_work(board) as uow:
        return [portfolio.create_theme(uow, ThemeCreate(objective=name)).key for name in ("Autonomy", "Reach")]


def test_a_created_epic_answers_what_a_read_gives_back(runtime: Runtime) -> None:
    board, pm = people(runtime)
    first, second = _themes(runtime, board)
    full = EpicCreate(
        title="Heavy-lift drones",
        owner=" Paul ",
        themes=[second.lower(), first, second],
        hypothesis=HYPOTHESIS,
        business_case=CASE,
        leading_indicators=[INDICATOR],
        business_outcomes=["Sell 50 units"],
        estimated_cost=2_000_000,
        score=ScoreInput(user_business_value=8, time_criticality=5, risk_reduction=3, job_size=5, note="first guess"),
    )
    with runtime.store.unit_of_work(pm) as uow:
        created = portfolio.create_epics(uow, [full, EpicCreate(title="Plain")])
    with runtime.store.unit_of_work(pm, write=False) as uow:
        read = [portfolio.get_epic(uow, epic.key) for epic in created]
        history = portfolio.score_history(uow, created[0].key)
    assert created == read
    assert created[0].owner == "paul" and created[0].themes == [first, second]
    assert created[0].score is not None and created[0].score.wsjf == 3.2
    assert [entry.note for entry in history] == ["first guess"]
    assert [epic.leading_indicators for epic in created] == [read[0].leading_indicators, []]


def test_many_epics_cost_the_statements_of_one(runtime: Runtime) -> None:
    """The same statements for 40 epics as for one; on PostgreSQL as many, each INSERT taking all rows (SQLite
    runs an INSERT that returns ids once a row, in-process)."""
    _, pm = people(runtime)

    def run(epics: int) -> list[str]:
        with statements(runtime) as seen, runtime.store.unit_of_work(pm) as uow:
            portfolio.create_epics(uow, [EpicCreate(title=f"Idea {n}", owner="paul") for n in range(epics)])
        return seen

    one, many = run(1), run(40)
    assert sorted({" ".join(s.split()[:3]) for s in one}) == sorted({" ".join(s.split()[:3]) for s in many})
    if runtime.store.engine.dialect.name == "postgresql":
        assert len(one) == len(many)
    with runtime.store.unit_of_work(pm, write=False) as uow:
        listed = portfolio.list_epics(uow, EpicFilter(), PageRequest(limit=100))
    assert listed.total == 41
    assert sorted(int(item.key.split("-")[1]) for item in listed.items) == list(range(1, 42))


def test_each_epic_created_together_is_recorded_as_created(runtime: Runtime) -> None:
    _, pm = people(runtime)
    with runtime.store.unit_of_work(pm) as uow:
        keys = [e.key for e in portfolio.create_epics(uow, [EpicCreate(title="One"), EpicCreate(title="Two")])]
    with runtime.store.unit_of_work(pm, write=False) as uow:
        audit = list_audit_entries(uow, AuditFilter(action="epic.create"), PageRequest(limit=10)).items
        moves = [portfolio.list_transitions(uow, key) for key in keys]
    assert sorted(str(entry.object_id) for entry in audit) == sorted(keys)
    assert {entry.actor_name for entry in audit} == {"paul"}
    assert [[(t.from_column, t.to_column, t.reason) for t in m] for m in moves] == [[(None, "funnel", "created")]] * 2


@pytest.mark.parametrize(("bad", "field"), [({"owner": "nobody"}, "owner"), ({"themes": ["THEME-99"]}, "themes")])
def test_one_invalid_epic_stores_none(runtime: Runtime, bad: dict[str, Any], field: str) -> None:
    _, pm = people(runtime)
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(pm) as uow:
        portfolio.create_epics(uow, [EpicCreate(title="Fine"), EpicCreate(title="Bad", **bad)])
    assert [problem.field for problem in refused.value.problems] == [field]
    with runtime.store.unit_of_work(pm, write=False) as uow:
        assert portfolio.list_epics(uow, EpicFilter(), PageRequest(limit=10)).total == 0
