"""Flow metrics use-cases: the five measures and the cumulative flow diagram for a team, a value stream,
an epic or the whole portfolio, over any window, computed on read (so the next read after a state change
shows it): the measures from the flow facts portfolio keeps with each item (its state history where those
cannot stand for it), the diagram from the state history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.schemas import copied
from digital_factory.insights import flow_measures
from digital_factory.insights.flow_schemas import (
    CfdDay,
    CompletedItem,
    CumulativeFlow,
    FlowMetrics,
    FlowScope,
    FlowState,
    FlowType,
    ScopeKind,
    TypeShare,
)
from digital_factory.insights.flow_states import Timeline, timeline
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import WorkItemFacts, WorkItemHistory, WorkLevel
from digital_factory.store.uow import UnitOfWork

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=1100)  # three years of daily samples
COMPLETED_LISTED = 200


@dataclass(frozen=True, slots=True)
class FlowQuery:
    """What to measure: at most one of team, value stream, epic (none: every item), at which level."""

    team: str | None = None
    value_stream: str | None = None
    epic: str | None = None
    level: WorkLevel = WorkLevel.FEATURE

    def scope(self) -> FlowScope:
        named = [(k, v) for k, v in self._named() if v]
        if len(named) > 1:
            raise ValidationFailed.on(named[1][0].value, "give one of team, value_stream and epic, not several")
        kind, key = named[0] if named else (ScopeKind.ALL, None)
        return FlowScope(kind=kind, key=key.strip() if key else None, level=self.level)

    def _named(self) -> list[tuple[ScopeKind, str | None]]:
        return [(ScopeKind.TEAM, self.team), (ScopeKind.VALUE_STREAM, self.value_stream), (ScopeKind.EPIC, self.epic)]


def window(uow: UnitOfWork, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """[start, end): end defaults to now and is never later than now (the future has no samples); start
    defaults to 30 days before end. Refused: start not before end, or longer than three years."""
    now = uow.clock.now()
    finish = min(as_utc(end), now) if end is not None else now
    begin = as_utc(start) if start is not None else finish - DEFAULT_WINDOW
    if begin >= finish:
        raise ValidationFailed.on("start", "must be before end (and before now)")
    if finish - begin > MAX_WINDOW:
        raise ValidationFailed.on("start", f"the window may span at most {MAX_WINDOW.days} days")
    return begin, finish


def timelines(
    uow: UnitOfWork, scope: FlowScope, before: datetime, *, settled_before: datetime | None = None
) -> list[Timeline]:
    """The scope's items as timelines, from their history up to `before` (without those done and
    unchanged since before `settled_before`, where given)."""
    histories = portfolio.work_item_histories(
        uow, scope.level, **_narrowing(uow, scope), before=before, settled_before=settled_before
    )
    return [timeline(h) for h in histories]


def flows(
    uow: UnitOfWork, scope: FlowScope, before: datetime, settled_before: datetime
) -> list[Timeline | WorkItemFacts]:
    """The scope's items up to `before` (without those done and unchanged since before `settled_before`):
    most as the flow facts portfolio keeps with them, the others (reopened, canceled, changed since) as
    timelines from their history."""
    found = portfolio.work_item_flows(
        uow, scope.level, **_narrowing(uow, scope), before=before, settled_before=settled_before
    )
    return [timeline(item) if isinstance(item, WorkItemHistory) else item for item in found]


def _narrowing(uow: UnitOfWork, scope: FlowScope) -> dict[str, Any]:
    keys = None
    if scope.kind is ScopeKind.VALUE_STREAM and scope.key is not None:
        keys = catalog.value_stream_work(uow, scope.key)
    return {
        "team": scope.key if scope.kind is ScopeKind.TEAM else None,
        "epic": scope.key if scope.kind is ScopeKind.EPIC else None,
        "keys": keys,
    }


def flow_metrics(
    uow: UnitOfWork, query: FlowQuery, *, start: datetime | None = None, end: datetime | None = None
) -> FlowMetrics:
    """Velocity, flow time, load, efficiency and distribution of the scope over [start, end)."""
    require(uow.actor, Permission.READ)
    scope = query.scope()
    begin, finish = window(uow, start, end)
    # items done before the window cannot change any of the five measures: not read at all
    found = flow_measures.measure(flows(uow, scope, finish, begin), begin, finish)
    velocity = found.velocity()
    times = found.flow_times()
    completed = sorted(found.completed, key=lambda c: (c.done_at, c.key))
    return FlowMetrics(
        scope=scope,
        start=begin,
        end=finish,
        velocity=len(found.completed),
        velocity_by_type=_shares(velocity),
        flow_time_median_seconds=flow_measures.median(times),
        flow_time_p85_seconds=flow_measures.percentile(times, 0.85),
        flow_time_sample=len(times),
        load_average=found.load_average(),
        load_samples=len(found.load),
        wip=sum(found.wip.values()),
        wip_by_type=_shares(found.wip),
        wip_age_median_seconds=flow_measures.median(found.wip_ages),
        wip_age_max_seconds=max(found.wip_ages) if found.wip_ages else None,
        efficiency=found.efficiency(),
        active_seconds=sum(c.active_seconds for c in found.completed),
        flow_seconds=sum(times),
        canceled=found.canceled,
        completed=[copied(CompletedItem, c, flow_time_seconds=c.flow_seconds) for c in completed[-COMPLETED_LISTED:]],
    )


def _shares(counts: dict[FlowType, int]) -> list[TypeShare]:
    total = sum(counts.values())
    return [
        TypeShare(flow_type=t, count=counts.get(t, 0), share=counts.get(t, 0) / total if total else None)
        for t in FlowType
    ]


def cumulative_flow(
    uow: UnitOfWork, query: FlowQuery, *, start: datetime | None = None, end: datetime | None = None
) -> CumulativeFlow:
    """Per daily sample of [start, end), the scope's items in each flow state."""
    require(uow.actor, Permission.READ)
    scope = query.scope()
    begin, finish = window(uow, start, end)
    counts = flow_measures.cumulative_flow(timelines(uow, scope, finish), begin, finish)
    instants = flow_measures.samples(begin, finish)
    return CumulativeFlow(
        scope=scope,
        start=begin,
        end=finish,
        states=list(FlowState),
        days=[CfdDay(at=at, counts={s: counts[s][i] for s in FlowState}) for i, at in enumerate(instants)],
    )
