"""Product management's work: features under epics, stories under features, handed to teams as ordered
backlogs; flow states (new, active, waiting, done) with a timestamped history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Select, case, func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.schemas import copied
from digital_factory.portfolio import kanban, models, work_facts
from digital_factory.portfolio.epics import epic_row
from digital_factory.portfolio.events import FeatureAssigned, FeatureCreated, WorkItemStateChanged
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.records import (
    apply_score,
    audit_changes,
    audit_created,
    normalize_key,
    rescore,
    row_by_key,
    score_out,
)
from digital_factory.portfolio.schemas import (
    BacklogOrder,
    Feature,
    FeatureCreate,
    FeatureSummary,
    FeatureUpdate,
    FlowItem,
    ItemKind,
    ScoreInput,
    StateChange,
    Story,
    StoryCreate,
    StoryUpdate,
    TeamBacklog,
    WorkState,
    WorkTransition,
)
from digital_factory.store.paging import paginate
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

Work = TypeVar("Work", models.Feature, models.Story)
Found = TypeVar("Found")
WSJF_ORDER = (
    case((models.Feature.wsjf.is_(None), 1), else_=0),
    models.Feature.wsjf.desc(),
    models.Feature.cost_of_delay.desc(),
    models.Feature.job_size,
    models.Feature.id,
)  # unscored last, then by WSJF (ties: higher cost of delay, smaller job), then oldest first

# --- features ----------------------------------------------------------------------------------------


def create_feature(uow: UnitOfWork, data: FeatureCreate, *, source_ref: str | None = None) -> Feature:
    require(uow.actor, Permission.PRODUCT_WRITE)
    epic = _epic_for(uow, data.epic)
    if epic.state == EpicState.DONE:
        raise Conflict(f"{epic.key} is done; it takes no new features", rule="epic-done")
    team_id = _team_id(uow, data.team)
    now = uow.clock.now()
    row = models.Feature(
        key=next_key(uow.session, "FEAT"),
        source_ref=source_ref,
        epic_id=epic.id,
        title=data.title,
        description=data.description,
        benefit_hypothesis=data.benefit_hypothesis,
        acceptance_criteria=list(data.acceptance_criteria),
        feature_type=str(data.feature_type),
        flow_item=str(data.flow_item),
        team_id=team_id,
        state=str(WorkState.NEW),
        created_at=now,
        updated_at=now,
        state_changed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _record_work(uow, row, None, WorkState.NEW, "created", at=now)
    if data.score is not None:
        apply_score(uow, row, data.score)
    uow.session.flush()
    audit_created(uow, "feature", row.key, data, source_ref)
    uow.emit(FeatureCreated(feature_id=row.id, key=row.key, epic_key=epic.key, team_key=data.team or None))
    return feature_out(uow, row)


def update_feature(uow: UnitOfWork, key: str, data: FeatureUpdate) -> Feature:
    require(uow.actor, Permission.PRODUCT_WRITE)
    row = feature_row(uow, key)
    before = _feature_view(feature_out(uow, row))
    _edit_work(row, data, ("title", "description", "benefit_hypothesis"))
    if data.feature_type is not None:
        row.feature_type = str(data.feature_type)
    team_changed = False
    if "team" in data.model_fields_set:
        team_id = _team_id(uow, data.team)
        team_changed = team_id != row.team_id
        row.team_id = team_id
    row.updated_at = uow.clock.now()
    uow.session.flush()
    out = feature_out(uow, row)
    audit_changes(uow, "feature", row.key, before, _feature_view(out))
    if team_changed:
        uow.emit(FeatureAssigned(feature_id=row.id, key=row.key, epic_key=out.epic, team_key=out.team))
    return out


def _edit_work(row: models.Feature | models.Story, data: FeatureUpdate | StoryUpdate, texts: tuple[str, ...]) -> None:
    """What a feature's and a story's edit share: the given `texts`, the criteria (replaced whole), the flow item."""
    for name in texts:
        value = getattr(data, name)
        if value is not None:
            setattr(row, name, value)
    if data.acceptance_criteria is not None:
        row.acceptance_criteria = list(data.acceptance_criteria)
    if data.flow_item is not None:
        row.flow_item = str(data.flow_item)


def score_feature(uow: UnitOfWork, key: str, data: ScoreInput) -> Feature:
    require(uow.actor, Permission.PRODUCT_WRITE)
    row = feature_row(uow, key)
    rescore(uow, "feature", row, data, note=data.note)
    uow.session.flush()
    return feature_out(uow, row)


def change_feature_state(uow: UnitOfWork, key: str, change: StateChange) -> Feature:
    require(uow.actor, Permission.PRODUCT_WRITE)
    row = feature_row(uow, key, lock=True)
    _change_state(uow, row, change.to, change.reason)
    return feature_out(uow, row)


def get_feature(uow: UnitOfWork, key: str) -> Feature:
    require(uow.actor, Permission.READ)
    return feature_out(uow, feature_row(uow, key))


def list_features(
    uow: UnitOfWork,
    page: PageRequest,
    *,
    epic: str | None = None,
    team: str | None = None,
    state: WorkState | None = None,
) -> Page[FeatureSummary]:
    require(uow.actor, Permission.READ)
    query = _in_flow(uow, select(models.Feature), models.Feature, team, state)
    if epic:
        query = query.where(models.Feature.epic_id == epic_row(uow, epic).id)
    return paginate(uow.session, query, page, partial(feature_summaries, uow), order_by=WSJF_ORDER)


def product_backlog(uow: UnitOfWork, epic_key: str) -> list[FeatureSummary]:
    """An epic's features ranked by WSJF (unscored last, then oldest first)."""
    require(uow.actor, Permission.READ)
    epic = epic_row(uow, epic_key)
    query = select(models.Feature).where(models.Feature.epic_id == epic.id).order_by(*WSJF_ORDER)
    return feature_summaries(uow, list(uow.session.scalars(query)))


def _in_flow(
    uow: UnitOfWork, query: Select[Work], model: type[Work], team: str | None, state: WorkState | None
) -> Select[Work]:
    """`query` narrowed to a team's items and to one flow state, where given (features and stories alike)."""
    if team:
        query = query.where(model.team_id == teams.team_id(uow, team))
    if state is not None:
        query = query.where(model.state == str(state))
    return query


def feature_row(uow: UnitOfWork, key: str, *, lock: bool = False) -> models.Feature:
    return row_by_key(uow, models.Feature, key, "FEAT", "feature", lock=lock)


def feature_summaries(uow: UnitOfWork, rows: Sequence[models.Feature]) -> list[FeatureSummary]:
    """Summaries of many features in a fixed number of queries."""
    ids = [r.id for r in rows]
    epic_keys = _epic_keys(uow, [r.epic_id for r in rows])
    team_keys = _team_keys(uow, [r.team_id for r in rows])
    stories: dict[int, tuple[int, int]] = {}
    if ids:
        for feature_id, total, done in uow.session.execute(
            select(
                models.Story.feature_id,
                func.count(),
                func.sum(case((models.Story.state == str(WorkState.DONE), 1), else_=0)),
            )
            .where(models.Story.feature_id.in_(ids))
            .group_by(models.Story.feature_id)
        ):
            stories[feature_id] = (int(total), int(done or 0))
    return [
        FeatureSummary(
            id=r.id,
            key=r.key,
            epic=epic_keys[r.epic_id],
            title=r.title,
            feature_type=ItemKind(r.feature_type),
            flow_item=FlowItem(r.flow_item),
            state=WorkState(r.state),
            team=team_keys.get(r.team_id) if r.team_id else None,
            score=score_out(r),
            story_count=stories.get(r.id, (0, 0))[0],
            stories_done=stories.get(r.id, (0, 0))[1],
        )
        for r in rows
    ]


def feature_out(uow: UnitOfWork, row: models.Feature) -> Feature:
    summary = feature_summaries(uow, [row])[0]
    return copied(Feature, row, **summary.model_dump())


def _feature_view(feature: Feature) -> dict[str, Any]:
    return feature.model_dump(
        mode="json", exclude={"id", "created_at", "state_changed_at", "story_count", "stories_done", "score"}
    )


# --- stories -----------------------------------------------------------------------------------------


def create_story(uow: UnitOfWork, data: StoryCreate) -> Story:
    require(uow.actor, Permission.PRODUCT_WRITE)
    feature = _feature_for(uow, data.feature)
    team_id = _team_id(uow, data.team) if data.team else feature.team_id
    now = uow.clock.now()
    row = models.Story(
        key=next_key(uow.session, "STORY"),
        feature_id=feature.id,
        team_id=team_id,
        title=data.title,
        description=data.description,
        acceptance_criteria=list(data.acceptance_criteria),
        story_type=str(data.story_type),
        flow_item=str(data.flow_item or feature.flow_item),
        points=data.points,
        state=str(WorkState.NEW),
        rank=_next_rank(uow, team_id),
        created_at=now,
        updated_at=now,
        state_changed_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _record_work(uow, row, None, WorkState.NEW, "created", at=now)
    record_audit(uow, "story.create", "story", row.key, after=data.model_dump(mode="json", exclude_defaults=True))
    return stories_out(uow, [row])[0]


def update_story(uow: UnitOfWork, key: str, data: StoryUpdate) -> Story:
    require(uow.actor, Permission.PRODUCT_WRITE)
    row = story_row(uow, key)
    before = _story_view(stories_out(uow, [row])[0])
    _edit_work(row, data, ("title", "description"))
    if "points" in data.model_fields_set:
        row.points = data.points
    if "team" in data.model_fields_set:
        team_id = _team_id(uow, data.team)
        if team_id != row.team_id:
            row.team_id = team_id
            row.rank = _next_rank(uow, team_id)
    row.updated_at = uow.clock.now()
    uow.session.flush()
    out = stories_out(uow, [row])[0]
    audit_changes(uow, "story", row.key, before, _story_view(out))
    return out


def change_story_state(uow: UnitOfWork, key: str, change: StateChange) -> Story:
    """Move a story between flow states; the first story to start also starts its feature."""
    require(uow.actor, Permission.PRODUCT_WRITE)
    row = story_row(uow, key, lock=True)
    _change_state(uow, row, change.to, change.reason)
    if change.to in {WorkState.ACTIVE, WorkState.WAITING}:
        feature = uow.session.get(models.Feature, row.feature_id, with_for_update=True)
        if feature is not None and feature.state == WorkState.NEW:
            _change_state(uow, feature, WorkState.ACTIVE, f"{row.key} started")
    return stories_out(uow, [row])[0]


def get_story(uow: UnitOfWork, key: str) -> Story:
    require(uow.actor, Permission.READ)
    return stories_out(uow, [story_row(uow, key)])[0]


def list_stories(
    uow: UnitOfWork,
    page: PageRequest,
    *,
    feature: str | None = None,
    team: str | None = None,
    state: WorkState | None = None,
) -> Page[Story]:
    require(uow.actor, Permission.READ)
    query = _in_flow(uow, select(models.Story), models.Story, team, state)
    if feature:
        query = query.where(models.Story.feature_id == feature_row(uow, feature).id)
    order = (models.Story.rank, models.Story.id)
    return paginate(uow.session, query, page, partial(stories_out, uow), order_by=order)


def team_backlog(uow: UnitOfWork, team_key: str, *, done_limit: int = 50) -> TeamBacklog:
    """A team's stories in backlog order; of the done ones only the most recent `done_limit`."""
    require(uow.actor, Permission.READ)
    team_id = teams.team_id(uow, team_key)
    open_rows = list(
        uow.session.scalars(
            select(models.Story)
            .where(models.Story.team_id == team_id, models.Story.state != str(WorkState.DONE))
            .order_by(models.Story.rank, models.Story.id)
        )
    )
    done_rows = list(
        uow.session.scalars(
            select(models.Story)
            .where(models.Story.team_id == team_id, models.Story.state == str(WorkState.DONE))
            .order_by(models.Story.state_changed_at.desc(), models.Story.id.desc())
            .limit(done_limit)
        )
    )
    return TeamBacklog(team=team_key, stories=stories_out(uow, open_rows + done_rows))


def reorder_backlog(uow: UnitOfWork, team_key: str, order: BacklogOrder) -> TeamBacklog:
    """Put the named stories in the given order. They keep the backlog positions they held between
    them, so ordering one column of the board leaves the others where they are."""
    require(uow.actor, Permission.PRODUCT_WRITE)
    team_id = teams.team_id(uow, team_key)
    keys = [normalize_key(k, "STORY") for k in order.stories]
    if len(set(keys)) != len(keys):
        raise ValidationFailed.on("stories", "a story is listed twice")
    rows = {
        r.key: r for r in uow.session.scalars(select(models.Story).where(models.Story.key.in_(keys)).with_for_update())
    }
    foreign = [k for k in keys if k not in rows or rows[k].team_id != team_id]
    if foreign:
        raise ValidationFailed.on("stories", f"not in the backlog of {team_key}: {', '.join(foreign)}")
    before = [r.key for r in sorted(rows.values(), key=lambda r: (r.rank, r.id))]
    slots = sorted(r.rank for r in rows.values())
    for key, rank in zip(keys, slots, strict=True):
        rows[key].rank = rank
    uow.session.flush()
    if before != keys:
        record_audit(uow, "backlog.reorder", "team", team_key, before={"stories": before}, after={"stories": keys})
    return team_backlog(uow, team_key)


def story_row(uow: UnitOfWork, key: str, *, lock: bool = False) -> models.Story:
    return row_by_key(uow, models.Story, key, "STORY", "story", lock=lock)


def stories_out(uow: UnitOfWork, rows: Sequence[models.Story]) -> list[Story]:
    features = {
        f.id: (f.key, f.epic_id)
        for f in uow.session.execute(
            select(models.Feature.id, models.Feature.key, models.Feature.epic_id).where(
                models.Feature.id.in_({r.feature_id for r in rows})
            )
        )
    }
    epic_keys = _epic_keys(uow, [epic_id for _, epic_id in features.values()])
    team_keys = _team_keys(uow, [r.team_id for r in rows])
    return [
        copied(
            Story,
            r,
            feature=features[r.feature_id][0],
            epic=epic_keys[features[r.feature_id][1]],
            team=team_keys.get(r.team_id) if r.team_id else None,
        )
        for r in rows
    ]


def _story_view(story: Story) -> dict[str, Any]:
    return story.model_dump(mode="json", exclude={"id", "created_at", "state_changed_at", "rank"})


# --- flow states and history -------------------------------------------------------------------------


def work_history(uow: UnitOfWork, key: str) -> list[WorkTransition]:
    """The timestamped flow-state history of a feature (FEAT-n) or story (STORY-n)."""
    require(uow.actor, Permission.READ)
    if key.strip().upper().startswith("FEAT-"):
        feature = feature_row(uow, key)
        item_key, condition = feature.key, models.WorkTransition.feature_id == feature.id
    else:
        story = story_row(uow, key)
        item_key, condition = story.key, models.WorkTransition.story_id == story.id
    rows = uow.session.scalars(
        select(models.WorkTransition).where(condition).order_by(models.WorkTransition.at, models.WorkTransition.id)
    )
    return [
        WorkTransition(
            item=item_key,
            from_state=WorkState(r.from_state) if r.from_state else None,
            to_state=WorkState(r.to_state),
            at=r.at,
            actor_name=r.actor_name,
            reason=r.reason,
        )
        for r in rows
    ]


def _change_state(uow: UnitOfWork, row: models.Feature | models.Story, to: WorkState, reason: str) -> None:
    refusal = kanban.check_work_transition(row.state, str(to))
    if refusal is not None:
        raise Conflict(f"{row.key}: {refusal.reason}", rule=refusal.rule)
    source = row.state
    now = uow.clock.now()
    facts = work_facts.FlowFacts(row.started_at, row.active_seconds, row.reopened)
    row.started_at, row.active_seconds, row.reopened = work_facts.step(
        facts, source, as_utc(row.state_changed_at), str(to), now
    )
    row.state = str(to)
    row.state_changed_at = now  # the time of the transition recorded below, to the microsecond
    row.updated_at = now
    _record_work(uow, row, WorkState(source), to, reason, at=now)
    kind = "feature" if isinstance(row, models.Feature) else "story"
    record_audit(
        uow, f"{kind}.state", kind, row.key, before={"state": source}, after={"state": str(to), "reason": reason}
    )
    uow.emit(
        WorkItemStateChanged(item_type=kind, item_id=row.id, key=row.key, from_state=source, to_state=str(to), at=now)
    )


def _record_work(
    uow: UnitOfWork,
    row: models.Feature | models.Story,
    source: WorkState | None,
    to: WorkState,
    reason: str,
    *,
    at: datetime,
) -> None:
    is_feature = isinstance(row, models.Feature)
    uow.session.add(
        models.WorkTransition(
            feature_id=row.id if is_feature else None,
            story_id=None if is_feature else row.id,
            from_state=str(source) if source else None,
            to_state=str(to),
            at=at,
            actor_user_id=uow.actor.user_id,
            actor_name=uow.actor.name,
            reason=reason,
        )
    )


# --- helpers -----------------------------------------------------------------------------------------


def _named(field: str, key: str, find: Callable[[], Found]) -> Found:
    """What a request names in `field`; an unknown name is the request's fault (422), not a missing page."""
    try:
        return find()
    except NotFound:
        raise ValidationFailed.on(field, f"no {field} {key!r}") from None


def _epic_for(uow: UnitOfWork, key: str) -> models.Epic:
    return _named("epic", key, lambda: epic_row(uow, key))


def _feature_for(uow: UnitOfWork, key: str) -> models.Feature:
    return _named("feature", key, lambda: feature_row(uow, key))


def _team_id(uow: UnitOfWork, key: str | None) -> int | None:
    if not key:
        return None
    return _named("team", key, lambda: teams.team_id(uow, key.strip()))


def _team_keys(uow: UnitOfWork, ids: Sequence[int | None]) -> dict[int, str]:
    return {i: teams.team_key_of(uow, i) for i in {i for i in ids if i is not None}}


def _epic_keys(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(uow.session.execute(select(models.Epic.id, models.Epic.key).where(models.Epic.id.in_(set(ids)))).all())


def _next_rank(uow: UnitOfWork, team_id: int | None) -> int:
    condition = models.Story.team_id == team_id if team_id is not None else models.Story.team_id.is_(None)
    current = uow.session.scalar(select(func.max(models.Story.rank)).where(condition))
    return (current or 0) + 1
