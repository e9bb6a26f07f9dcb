"""Bulk reads for the evidence behind board decisions: many epics' leading indicators at once, with the
start of each epic's evaluation window (for the insights domain's hypothesis evaluation)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.errors import ValidationFailed
from digital_factory.portfolio import models
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.records import normalize_key
from digital_factory.portfolio.schemas import EvaluationSnapshot, Indicator, IndicatorSet
from digital_factory.store.uow import UnitOfWork

MAX_KEYS = 500
FUTURE_SLACK = timedelta(minutes=5)  # an evaluation may be this far ahead of the server's clock


def indicator_sets(
    uow: UnitOfWork, *, keys: Sequence[str] | None = None, states: Sequence[EpicState] | None = None
) -> list[IndicatorSet]:
    """The epics named by `keys` and/or in `states` with their indicators, in three queries. Unknown keys
    are left out (a board or backlog asks for what it shows). The window opens at the epic's first entry
    into Implementing (its MVP starts being tested), or at its creation when it never got there."""
    require(uow.actor, Permission.READ)
    epic = models.Epic
    # the columns an indicator set shows, not whole epics (their descriptions and documents are large)
    columns = (epic.id, epic.key, epic.title, epic.state, epic.substate, epic.done_reason, epic.created_at)
    query = select(*columns, epic.user_business_value)
    if keys is not None:
        query = query.where(models.Epic.key.in_([normalize_key(k, "EPIC") for k in keys[:MAX_KEYS]]))
    if states is not None:
        query = query.where(models.Epic.state.in_([str(s) for s in states]))
    epics = uow.session.execute(query.order_by(models.Epic.id)).all()
    ids = [e.id for e in epics]
    if not ids:
        return []
    starts = dict(
        uow.session.execute(
            select(models.Transition.epic_id, func.min(models.Transition.at))
            .where(models.Transition.epic_id.in_(ids), models.Transition.to_state == str(EpicState.IMPLEMENTING))
            .group_by(models.Transition.epic_id)
        ).all()
    )
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    rows = uow.session.scalars(
        select(models.Indicator)
        .where(models.Indicator.epic_id.in_(ids))
        .order_by(models.Indicator.epic_id, models.Indicator.position)
    )
    for row in rows:
        indicators[row.epic_id].append(Indicator.model_validate(row))
    return [
        IndicatorSet.model_validate(
            {
                "key": e.key,
                "title": e.title,
                "state": e.state,
                "substate": e.substate,
                "done_reason": e.done_reason,
                "user_business_value": e.user_business_value,
                "window_start": starts.get(e.id) or e.created_at,
                "indicators": indicators[e.id],
            }
        )
        for e in epics
    ]


def check_evaluation(uow: UnitOfWork, epic_id: int, evaluation: EvaluationSnapshot) -> None:
    """A decision's evaluation must be of this epic's leading indicators (by name) and not from the future."""
    if evaluation.evaluated_at > uow.clock.now() + FUTURE_SLACK:
        raise ValidationFailed.on("evaluation.evaluated_at", "is in the future")
    names = sorted(uow.session.scalars(select(models.Indicator.name).where(models.Indicator.epic_id == epic_id)))
    if sorted(i.name for i in evaluation.indicators) != names:
        expected = ", ".join(names) or "none"
        raise ValidationFailed.on("evaluation.indicators", f"must be the epic's leading indicators ({expected})")
