"""Bulk reads for the evidence behind board decisions: many epics' leading indicators at once, with the
start of each epic's evaluation window (for the insights domain's hypothesis evaluation)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.portfolio import models
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.records import normalize_key
from digital_factory.portfolio.schemas import Indicator, IndicatorSet
from digital_factory.store.uow import UnitOfWork

MAX_KEYS = 500


def indicator_sets(
    uow: UnitOfWork, *, keys: Sequence[str] | None = None, states: Sequence[EpicState] | None = None
) -> list[IndicatorSet]:
    """The epics named by `keys` and/or in `states` with their indicators, in three queries. Unknown keys
    are left out (a board or backlog asks for what it shows). The window opens at the epic's first entry
    into Implementing (its MVP starts being tested), or at its creation when it never got there."""
    require(uow.actor, Permission.READ)
    query = select(models.Epic)
    if keys is not None:
        query = query.where(models.Epic.key.in_([normalize_key(k, "EPIC") for k in keys[:MAX_KEYS]]))
    if states is not None:
        query = query.where(models.Epic.state.in_([str(s) for s in states]))
    epics = list(uow.session.scalars(query.order_by(models.Epic.id)))
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
