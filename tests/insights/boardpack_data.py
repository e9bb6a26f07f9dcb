"""Board pack test data through the portfolio's services: four epics whose indicator deadlines and decisions
put them in or out of 2026-Q4's decisions due."""

from __future__ import annotations

from datetime import date

from digital_factory.app.factory import Runtime
from digital_factory.portfolio.schemas import DecisionKind, IndicatorSpec
from tests.portfolio.builders import INDICATOR, decide, epic, move, people, ready_epic, update


def indicator(deadline: date, name: str = "Heavy-lift units sold") -> IndicatorSpec:
    return INDICATOR.model_copy(update={"deadline": deadline, "name": name})


def portfolio_for_q4(runtime: Runtime) -> dict[str, str]:
    """decided: due in Q4 but the board persevered; due: due in Q4, no decision; overdue: due in Q3, no
    decision; later: due in 2027. Returns the epics' keys by role."""
    board, _ = people(runtime)
    decided = ready_epic(runtime, board, "Heavy-lift drones")
    update(runtime, board, decided.key, leading_indicators=[indicator(date(2026, 10, 15))])
    move(runtime, board, decided.key, "implementing")
    decide(runtime, board, decided.key, DecisionKind.PERSEVERE)
    due = ready_epic(runtime, board, "Cargo insurance")
    update(runtime, board, due.key, leading_indicators=[indicator(date(2026, 12, 15), "Policies sold")])
    overdue = epic(runtime, board, "Night flights", leading_indicators=[indicator(date(2026, 8, 1), "Night orders")])
    later = epic(runtime, board, "Swarm delivery", leading_indicators=[indicator(date(2027, 2, 1), "Swarm orders")])
    return {"decided": decided.key, "due": due.key, "overdue": overdue.key, "later": later.key}
