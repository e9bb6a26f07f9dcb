"""Portfolio test data, made through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    DecisionCreate,
    DecisionKind,
    Epic,
    EpicCreate,
    EpicUpdate,
    Hypothesis,
    IndicatorSpec,
    LeanBusinessCase,
    MoveRequest,
    ScoreInput,
)
from tests.factories import actor_of, make_user

HYPOTHESIS = Hypothesis(
    for_customers="logistics companies",
    who="need to move heavy payloads to remote sites",
    the_solution="heavy-lift drone",
    is_a="cargo drone for 25 kg payloads",
    that="delivers within the hour",
    unlike="ground couriers and 5 kg drones",
    our_solution="flies 40 km with a full load",
)
INDICATOR = IndicatorSpec(
    name="Heavy-lift units sold",
    metric_query='sum(business.units_sold{product="heavy-lift"}[30d])',
    baseline=0,
    target=50,
    deadline=date(2027, 6, 30),
)
CASE = LeanBusinessCase(analysis_summary="Market study says yes", mvp_cost=400_000, full_cost=2_000_000)


def people(runtime: Runtime) -> tuple[Actor, Actor]:
    """The board (decides) and product management (writes); returns their actors."""
    make_user(runtime, "bea", Role.BOARD)
    make_user(runtime, "paul", Role.PRODUCT)
    return actor_of(runtime, "bea"), actor_of(runtime, "paul")


def epic(runtime: Runtime, actor: Actor, title: str = "Heavy-lift drones", **fields: Any) -> Epic:
    with runtime.store.unit_of_work(actor) as uow:
        return portfolio.create_epic(uow, EpicCreate(title=title, **fields))


def ready_epic(runtime: Runtime, board: Actor, title: str = "Heavy-lift drones") -> Epic:
    """An epic with everything the gates ask for, moved to Ready."""
    made = epic(
        runtime,
        board,
        title,
        owner="bea",
        hypothesis=HYPOTHESIS,
        business_case=CASE,
        mvp_definition="One drone carrying 25 kg for 20 km",
        leading_indicators=[INDICATOR],
        score=ScoreInput(user_business_value=20, time_criticality=8, risk_reduction=13, job_size=8),
    )
    for column in ("reviewing", "analyzing"):
        move(runtime, board, made.key, column)
    decide(runtime, board, made.key, DecisionKind.GO)
    move(runtime, board, made.key, "ready")
    with runtime.store.unit_of_work(board, write=False) as uow:
        return portfolio.get_epic(uow, made.key)


def move(runtime: Runtime, actor: Actor, key: str, to: str, **fields: Any) -> None:
    with runtime.store.unit_of_work(actor) as uow:
        portfolio.move_epic(uow, key, MoveRequest(to=to, **fields))


def decide(runtime: Runtime, actor: Actor, key: str, kind: DecisionKind, **fields: Any) -> None:
    with runtime.store.unit_of_work(actor) as uow:
        portfolio.decide(uow, key, DecisionCreate(kind=kind, rationale=f"{kind} because", **fields))


def update(runtime: Runtime, actor: Actor, key: str, **fields: Any) -> Epic:
    with runtime.store.unit_of_work(actor) as uow:
        return portfolio.update_epic(uow, key, EpicUpdate(**fields))
