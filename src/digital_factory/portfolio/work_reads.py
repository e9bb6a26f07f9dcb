"""Bulk reads of work-item and epic histories for the domains above: insights computes flow metrics, the
value stream map and value lead time from them on every read, so the next read after a state change
shows it. A fixed number of statements whatever the number of items (items, then their histories)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import aliased

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.portfolio import models
from digital_factory.portfolio.kanban import DECISION_REASONS, EpicState
from digital_factory.portfolio.schema_types import WorkState
from digital_factory.portfolio.work_read_schemas import EpicHistory, WorkItemFacts, WorkItemHistory, WorkLevel
from digital_factory.store.base import utc_read
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

_ENDED_EARLY = sorted(str(reason) for reason in DECISION_REASONS)
_LISTED = 500  # items whose transitions are read by a list of their ids


def work_item_histories(
    uow: UnitOfWork,
    level: WorkLevel,
    *,
    team: str | None = None,
    epic: str | None = None,
    keys: Collection[str] | None = None,
    before: datetime | None = None,
    settled_before: datetime | None = None,
) -> list[WorkItemHistory]:
    """Features (or stories) with their flow-state history up to `before`, narrowed to a team's items, an
    epic's, or those named by `keys` (feature or epic keys: a story counts under its feature's or epic's
    key). `settled_before` leaves out items done, and unchanged since, before that moment (a window
    starting then cannot see them move). An unknown team or epic is the request's fault (problem naming
    the field)."""
    require(uow.actor, Permission.READ)
    model, query = _chosen(uow, level, team=team, epic=epic, keys=keys, settled_before=settled_before)
    rows = uow.session.connection().execute(query.order_by(model.id)).all()
    states = _states(uow, level, [r.id for r in rows], query, before)
    return [_history(r, level, states) for r in rows]


def work_item_flows(
    uow: UnitOfWork,
    level: WorkLevel,
    *,
    team: str | None = None,
    epic: str | None = None,
    keys: Collection[str] | None = None,
    before: datetime,
    settled_before: datetime | None = None,
) -> list[WorkItemFacts | WorkItemHistory]:
    """The items `work_item_histories` gives (same arguments), in the same order, each as its kept flow
    facts where those say all its history does up to `before` (`WorkItemFacts`), else with its history (an
    item reopened, changed since `before`, or of an epic ended early): most items need no history read."""
    require(uow.actor, Permission.READ)
    model, query = _chosen(uow, level, team=team, epic=epic, keys=keys, settled_before=settled_before)
    needs = or_(
        model.reopened > 0,
        model.state_changed_at >= before,
        and_(models.Epic.state == str(EpicState.DONE), models.Epic.done_reason.in_(_ENDED_EARLY)),
    )
    facts = query.add_columns(
        model.state,
        utc_read(model.state_changed_at).label("changed"),
        utc_read(model.started_at).label("started"),
        model.active_seconds,
        needs.label("needs"),
    )
    rows = uow.session.connection().execute(facts.order_by(model.id)).all()
    states = _states(uow, level, [r.id for r in rows if r.needs], query.where(needs), before)
    return [
        _history(r, level, states)
        if r.needs
        else WorkItemFacts(r.key, r.flow_item, r.state, r.changed, r.started, r.active_seconds)
        for r in rows
    ]


def _chosen(
    uow: UnitOfWork,
    level: WorkLevel,
    *,
    team: str | None,
    epic: str | None,
    keys: Collection[str] | None,
    settled_before: datetime | None,
) -> tuple[Any, Select[Any]]:
    """The item model and the query of the items asked for, with their feature's and epic's columns."""
    model: Any = models.Feature if level is WorkLevel.FEATURE else models.Story
    items = _items(level, model)
    query = items.query.where(*_narrowed(uow, model, items.feature, team=team, epic=epic, keys=keys))
    if settled_before is not None:
        # the row's state and the time of its last change are kept with every transition
        query = query.where(~and_(model.state == str(WorkState.DONE), model.state_changed_at < settled_before))
    return model, query


def _history(r: Any, level: WorkLevel, states: dict[int, list[tuple[datetime, str]]]) -> WorkItemHistory:
    return WorkItemHistory(
        key=r.key,
        level=level,
        flow_item=r.flow_item,
        item_kind=r.kind,
        epic=r.epic,
        feature=r.feature,
        created_at=r.created_at,
        epic_ended_at=_ended_early(r.epic_state, r.done_reason, r.state_entered_at),
        states=tuple(states.get(r.id, ())),
    )


@dataclass(frozen=True)
class _Items:
    query: Select[Any]
    feature: Any  # the feature table (aliased when reading stories)


def _items(level: WorkLevel, model: Any) -> _Items:
    """The items' columns with their feature's and epic's, joined (a story through its feature)."""
    feature = models.Feature if level is WorkLevel.FEATURE else aliased(models.Feature)
    query = select(
        model.id,
        model.key,
        model.flow_item,
        (models.Feature.feature_type if level is WorkLevel.FEATURE else model.story_type).label("kind"),
        model.created_at,
        models.Epic.key.label("epic"),
        feature.key.label("feature"),
        models.Epic.state.label("epic_state"),
        models.Epic.done_reason,
        models.Epic.state_entered_at,
    ).select_from(model)
    if level is WorkLevel.STORY:
        query = query.join(feature, feature.id == model.feature_id)
    return _Items(query.join(models.Epic, models.Epic.id == feature.epic_id), feature)


def _narrowed(
    uow: UnitOfWork,
    model: Any,
    feature: Any,
    *,
    team: str | None,
    epic: str | None,
    keys: Collection[str] | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if team:
        conditions.append(model.team_id == _named("team", team, lambda: teams.team_id(uow, team.strip())))
    if epic:
        conditions.append(models.Epic.id == _epic_id(uow, epic))
    if keys is not None:
        wanted = sorted({k.strip().upper() for k in keys})
        conditions.append(or_(feature.key.in_(wanted), models.Epic.key.in_(wanted)))
    return conditions


def _states(
    uow: UnitOfWork, level: WorkLevel, ids: list[int], items: Select[Any], before: datetime | None
) -> dict[int, list[tuple[datetime, str]]]:
    """The items' transitions: a few items' by their ids, many through the items' own query as a subquery
    (no long list of ids in the SQL; a short one lets PostgreSQL read the transitions by index rather than
    scan them all for a subquery it expects to be large)."""
    if not ids:
        return {}
    column: Any = models.WorkTransition.feature_id if level is WorkLevel.FEATURE else models.WorkTransition.story_id
    chosen = items.with_only_columns(items.selected_columns[0]).subquery()
    wanted = column.in_(ids) if len(ids) <= _LISTED else column.in_(select(chosen.c[0]))
    query = select(column, utc_read(models.WorkTransition.at), models.WorkTransition.to_state).where(wanted)
    if before is not None:
        query = query.where(models.WorkTransition.at < before)
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    # through the connection: plain rows, without the ORM's per-row work; times parsed straight to UTC
    rows = uow.session.connection().execute(query.order_by(column, models.WorkTransition.at, models.WorkTransition.id))
    for item_id, at, state in rows.all():
        found[item_id].append((at, state))
    return found


def _ended_early(state: str, done_reason: str | None, entered: datetime) -> datetime | None:
    if state == EpicState.DONE and done_reason in _ENDED_EARLY:
        return as_utc(entered)
    return None


def epic_histories(
    uow: UnitOfWork, *, epic: str | None = None, keys: Collection[str] | None = None
) -> list[EpicHistory]:
    """Epics with their kanban history and feature keys: one epic, or those named by `keys` (epic keys, or
    feature keys naming their epic), or all."""
    require(uow.actor, Permission.READ)
    query = select(models.Epic.id, models.Epic.key, models.Epic.created_at)
    if epic:
        query = query.where(models.Epic.id == _epic_id(uow, epic))
    if keys is not None:
        wanted = sorted({k.strip().upper() for k in keys})
        named = select(models.Feature.epic_id).where(models.Feature.key.in_(wanted))
        query = query.where(or_(models.Epic.key.in_(wanted), models.Epic.id.in_(named)))
    epics = uow.session.execute(query.order_by(models.Epic.id)).all()
    chosen = query.with_only_columns(models.Epic.id).subquery()
    moves: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    transition = models.Transition
    for epic_id, at, state, substate in uow.session.execute(
        select(transition.epic_id, transition.at, transition.to_state, transition.to_substate)
        .where(transition.epic_id.in_(select(chosen.c.id)))
        .order_by(transition.epic_id, transition.at, transition.id)
    ):
        moves[epic_id].append((as_utc(at), f"{state}:{substate}" if substate else state))
    features: dict[int, list[str]] = defaultdict(list)
    for epic_id, key in uow.session.execute(
        select(models.Feature.epic_id, models.Feature.key)
        .where(models.Feature.epic_id.in_(select(chosen.c.id)))
        .order_by(models.Feature.id)
    ):
        features[epic_id].append(key)
    return [
        EpicHistory(
            key=e.key, created_at=as_utc(e.created_at), columns=tuple(moves[e.id]), features=tuple(features[e.id])
        )
        for e in epics
    ]


def _epic_id(uow: UnitOfWork, key: str) -> int:
    found = uow.session.scalar(select(models.Epic.id).where(models.Epic.key == key.strip().upper()))
    if found is None:
        raise ValidationFailed.on("epic", f"no epic {key!r}")
    return found


def _named(field: str, key: str, find: Any) -> int:
    try:
        return int(find())
    except NotFound:
        raise ValidationFailed.on(field, f"no {field} {key!r}") from None
