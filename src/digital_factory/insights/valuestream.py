"""The value stream map, a bottleneck view from idea to production for a value stream or an epic:

- portfolio kanban stages from the epics' history (Funnel and Ready wait, Reviewing and Analyzing are
  active work: the kanban does not say more);
- the features: their backlog (New: waiting) and their development (work start to done, split into the
  time Waiting and Active); the stories' development the same way (it runs inside the features');
- delivery, per change naming a feature that reached production: commit to deployment requested (the
  pipeline, active), approval wait (requested to approved) plus queue (approved to started) as waiting,
  and the deployment itself (started to finished, active).

Each stage reports medians and its sample size; the stage with the largest median total is the slowest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import ItemDelivery
from digital_factory.insights.flow_measures import median
from digital_factory.insights.flow_schemas import FlowState
from digital_factory.insights.flow_states import IN_PROGRESS, Timeline, timeline
from digital_factory.insights.leadtime import epic_histories_for
from digital_factory.insights.valuestream_schemas import Stage, ValueStreamMap
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicHistory, WorkLevel
from digital_factory.store.uow import UnitOfWork

# the epic kanban's stages before implementation, and whether time in them is active work
EPIC_STAGES: tuple[tuple[str, str, bool], ...] = (
    ("funnel", "Epic funnel", False),
    ("reviewing", "Reviewing", True),
    ("analyzing", "Analyzing", True),
    ("ready", "Ready (portfolio backlog)", False),
)
Sample = tuple[float, float]  # (waiting seconds, active seconds)


@dataclass(frozen=True, slots=True)
class StageSamples:
    key: str
    label: str
    level: str
    samples: list[Sample]


def epic_stage_samples(histories: Iterable[EpicHistory], now: datetime) -> list[StageSamples]:
    """Per kanban stage, per epic that was in it, the time it spent there (all visits)."""
    found = {key: StageSamples(key, label, "epic", []) for key, label, _ in EPIC_STAGES}
    active = {key: is_active for key, _, is_active in EPIC_STAGES}
    for history in histories:
        spent: dict[str, float] = {}
        for i, (at, column) in enumerate(history.columns):
            until = history.columns[i + 1][0] if i + 1 < len(history.columns) else now
            stage = column.split(":")[0]
            if stage in found:
                spent[stage] = spent.get(stage, 0.0) + (until - at).total_seconds()
        for stage, seconds in spent.items():
            found[stage].samples.append((0.0, seconds) if active[stage] else (seconds, 0.0))
    return list(found.values())


def feature_stage_samples(items: Iterable[Timeline], now: datetime) -> list[StageSamples]:
    """The features' backlog (created to work start) and development (work start to done, or now)."""
    backlog = StageSamples("feature-backlog", "Feature backlog", "feature", [])
    development = StageSamples("feature-development", "Feature development", "feature", [])
    for item in items:
        begun = item.start_at
        if begun is not None:
            backlog.samples.append(((begun - item.spells[0].start).total_seconds(), 0.0))
        development.samples.extend(_development(item, now))
    return [backlog, development]


def story_stage_samples(items: Iterable[Timeline], now: datetime) -> StageSamples:
    """The stories' development, inside their features' (work start to done, or now)."""
    stage = StageSamples("story-development", "Story development", "story", [])
    for item in items:
        stage.samples.extend(_development(item, now))
    return stage


def _development(item: Timeline, now: datetime) -> list[Sample]:
    """(waiting, active) from work start to done (or now); nothing for an item not started or canceled."""
    begun = item.start_at
    if begun is None or item.state_at(now) not in IN_PROGRESS | {FlowState.DONE}:
        return []
    end = item.done_at(now) or now
    return [(item.time_in(FlowState.WAITING, begun, end), item.time_in(FlowState.ACTIVE, begun, end))]


def delivery_stage_samples(shipped: Iterable[ItemDelivery]) -> list[StageSamples]:
    """Per change that reached production: pipeline, approval and queue, deployment."""
    pipeline = StageSamples("build", "Commit to production requested", "change", [])
    approval = StageSamples("approval", "Approval and queue", "change", [])
    deploy = StageSamples("deploy", "Production deployment", "change", [])
    seen: set[str] = set()
    for s in shipped:
        if s.change_sha in seen:
            continue  # a change naming two features is one pass through delivery
        seen.add(s.change_sha)
        started = s.started_at or s.finished_at
        pipeline.samples.append((0.0, max((s.requested_at - s.authored_at).total_seconds(), 0.0)))
        approval.samples.append(((started - s.requested_at).total_seconds(), 0.0))
        deploy.samples.append((0.0, (s.finished_at - started).total_seconds()))
    return [pipeline, approval, deploy]


def stage_out(stage: StageSamples) -> Stage:
    return Stage(
        key=stage.key,
        label=stage.label,
        level=stage.level,
        waiting_median_seconds=median([w for w, _ in stage.samples]),
        active_median_seconds=median([a for _, a in stage.samples]),
        total_median_seconds=median([w + a for w, a in stage.samples]),
        sample=len(stage.samples),
    )


def value_stream_map(uow: UnitOfWork, *, value_stream: str | None = None, epic: str | None = None) -> ValueStreamMap:
    """The stages of a value stream's (or an epic's) work from idea to production, slowest marked."""
    require(uow.actor, Permission.READ)
    now = uow.clock.now()
    epics = epic_histories_for(uow, epic=epic, value_stream=value_stream)
    feature_keys = [key for h in epics for key in h.features]
    epic_keys = [h.key for h in epics]
    features = portfolio.work_item_histories(uow, WorkLevel.FEATURE, keys=epic_keys) if epics else []
    stories = portfolio.work_item_histories(uow, WorkLevel.STORY, keys=epic_keys) if epics else []
    stages = [
        stage_out(s)
        for s in (
            *epic_stage_samples(epics, now),
            *feature_stage_samples([timeline(f) for f in features], now),
            story_stage_samples([timeline(f) for f in stories], now),
            *delivery_stage_samples(delivery.item_deliveries(uow, feature_keys)),
        )
    ]
    totals = [s.total_median_seconds or 0.0 for s in stages]
    if any(totals):
        slowest = totals.index(max(totals))
        stages[slowest] = stages[slowest].model_copy(update={"slowest": True})
    waiting = sum(s.waiting_median_seconds or 0.0 for s in stages)
    return ValueStreamMap(
        scope="epic" if epic else "value_stream",
        key=epics[0].key if epic and epics else (epic or value_stream or "").strip(),
        stages=stages,
        total_median_seconds=sum(totals),
        waiting_share=waiting / sum(totals) if any(totals) else None,
    )
