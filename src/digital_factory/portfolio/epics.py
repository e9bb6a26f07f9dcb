"""Epics: create, change, read, list; WSJF scoring, score history and the ranked backlog."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Row, Select, delete, or_, select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.schemas import copied
from digital_factory.portfolio import models, wsjf
from digital_factory.portfolio.events import EpicCreated
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.new_epics import Entry, owner_ids, owner_name, store_epics
from digital_factory.portfolio.records import (
    audit_changes,
    audit_created_each,
    rescore,
    row_by_key,
    rows_per,
    score_out,
)
from digital_factory.portfolio.schemas import (
    Backlog,
    BacklogEntry,
    Epic,
    EpicCreate,
    EpicFilter,
    EpicSummary,
    EpicUpdate,
    Hypothesis,
    Indicator,
    IndicatorSpec,
    LeanBusinessCase,
    Rescore,
    ScoreEntry,
    ScoreInput,
    WsjfScore,
)
from digital_factory.portfolio.themes import theme_ids, theme_key
from digital_factory.store.paging import paginate
from digital_factory.store.search import any_contains, contains
from digital_factory.store.uow import UnitOfWork

BACKLOG_STATES = (EpicState.REVIEWING, EpicState.ANALYZING, EpicState.READY)


# --- create and change ---------------------------------------------------------------------------


def create_epic(uow: UnitOfWork, data: EpicCreate) -> Epic:
    """A new epic enters the Funnel; its first transition is recorded."""
    return create_epics(uow, [data])[0]


def create_epics(uow: UnitOfWork, items: Sequence[EpicCreate]) -> list[Epic]:
    """New epics enter the Funnel, each recorded as created (its transition, its audit entry, `EpicCreated`),
    in a few statements whatever their number: the API writes the epics many requests send at once together.
    The answers are made from what was stored, without reading it back."""
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    owners = owner_ids(uow, (data.owner for data in items))
    wanted = [key for data in items for key in data.themes]
    themes = dict(zip(dict.fromkeys(map(theme_key, wanted)), theme_ids(uow, wanted), strict=True))
    stored = store_epics(uow, items, owners=owners, themes=themes, entry=Entry(uow.clock.now(), "created"))
    names = {user_id: name for name, user_id in owners.items()}
    created = []
    audit_created_each(uow, "epic", [(epic.key, data) for data, epic in zip(items, stored, strict=True)])
    for data, epic in zip(items, stored, strict=True):
        uow.emit(EpicCreated(epic_id=epic.id, key=epic.key, title=data.title))
        row = SimpleNamespace(id=epic.id, **epic.values)
        in_order = sorted(dict.fromkeys(map(theme_key, data.themes)), key=themes.__getitem__)
        indicators = [Indicator.model_validate(spec.model_dump()) for spec in data.leading_indicators]
        created.append(_as_epic(row, summary_values(row, names, 0), in_order, indicators))
    return created


def update_epic(uow: UnitOfWork, key: str, data: EpicUpdate) -> Epic:
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    row = epic_row(uow, key)
    before = _comparable(epic_out(uow, row))
    _apply_update(uow, row, data)
    row.updated_at = uow.clock.now()
    uow.session.flush()
    out = epic_out(uow, row)
    audit_changes(uow, "epic", row.key, before, _comparable(out))
    return out


def _apply_update(uow: UnitOfWork, row: models.Epic, data: EpicUpdate) -> None:
    sent = data.model_fields_set
    plain: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "mvp_definition": data.mvp_definition,
        "currency": data.currency,
        "epic_type": str(data.epic_type) if data.epic_type else None,
        "hypothesis": data.hypothesis.model_dump(mode="json") if data.hypothesis else None,
        "business_outcomes": list(data.business_outcomes) if data.business_outcomes is not None else None,
        "nfrs": list(data.nfrs) if data.nfrs is not None else None,
    }
    for name, value in plain.items():
        if value is not None:
            setattr(row, name, value)
    if "owner" in sent:
        row.owner_user_id = owner_user_id(uow, data.owner or None)
    if "estimated_cost" in sent:
        row.estimated_cost = data.estimated_cost
    if "business_case" in sent:
        row.business_case = data.business_case.model_dump(mode="json") if data.business_case else None
    if data.themes is not None:
        _set_themes(uow, row.id, theme_ids(uow, data.themes))
    if data.leading_indicators is not None:
        _replace_indicators(uow, row.id, data.leading_indicators)


def owner_user_id(uow: UnitOfWork, username: str | None) -> int | None:
    return owner_ids(uow, [username])[owner_name(username)] if username else None


def _set_themes(uow: UnitOfWork, epic_id: int, ids: list[int]) -> None:
    uow.session.execute(delete(models.EpicTheme).where(models.EpicTheme.epic_id == epic_id))
    for theme_id in ids:
        uow.session.add(models.EpicTheme(epic_id=epic_id, theme_id=theme_id))
    uow.session.flush()


def _replace_indicators(uow: UnitOfWork, epic_id: int, specs: Sequence[IndicatorSpec]) -> None:
    uow.session.execute(delete(models.Indicator).where(models.Indicator.epic_id == epic_id))
    for position, spec in enumerate(specs):
        uow.session.add(
            models.Indicator(
                epic_id=epic_id,
                position=position,
                name=spec.name,
                metric_query=spec.metric_query,
                source=str(spec.source),
                baseline=spec.baseline,
                target=spec.target,
                direction=str(spec.direction),
                deadline=spec.deadline,
                weight=spec.weight,
                critical=spec.critical,
            )
        )
    uow.session.flush()


def _comparable(epic: Epic) -> dict[str, Any]:
    return epic.model_dump(
        mode="json", exclude={"id", "updated_at", "created_at", "feature_count", "state_entered_at", "score"}
    )


# --- WSJF ------------------------------------------------------------------------------------------


def score_epic(uow: UnitOfWork, key: str, data: ScoreInput) -> EpicSummary:
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    row = epic_row(uow, key)
    rescore(uow, "epic", row, data, note=data.note)
    uow.session.flush()
    return summaries(uow, [row])[0]


def rescore_epics(uow: UnitOfWork, data: Rescore) -> list[EpicSummary]:
    """Re-score many epics at once (the scoring table); all or nothing."""
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    keys = [item.key.strip().upper() for item in data.scores]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValidationFailed.on("scores", f"an epic is scored twice: {', '.join(repeated)}")
    rows = {r.key: r for r in uow.session.scalars(select(models.Epic).where(models.Epic.key.in_(keys)))}
    missing = [k for k in keys if k not in rows]
    if missing:
        raise ValidationFailed.on("scores", f"no epic {', '.join(missing)}")
    changed: list[models.Epic] = []
    for item in data.scores:
        row = rows[item.key.strip().upper()]
        current = score_out(row)
        new = (item.user_business_value, item.time_criticality, item.risk_reduction, item.job_size)
        if current is not None and new == (
            current.user_business_value,
            current.time_criticality,
            current.risk_reduction,
            current.job_size,
        ):
            continue  # unchanged rows of the table leave no history entry
        rescore(uow, "epic", row, item, note=item.note or data.note, detail="scoring table")
        changed.append(row)
    uow.session.flush()
    return summaries(uow, changed)


def score_history(uow: UnitOfWork, key: str) -> list[ScoreEntry]:
    require(uow.actor, Permission.READ)
    row = epic_row(uow, key)
    rows = uow.session.scalars(
        select(models.Score).where(models.Score.epic_id == row.id).order_by(models.Score.at, models.Score.id)
    )
    return [ScoreEntry.model_validate(r) for r in rows]


def backlog(uow: UnitOfWork) -> Backlog:
    """Epics in Reviewing, Analyzing and Ready, ranked by WSJF (ties: higher cost of delay, smaller job);
    unscored epics last, oldest first."""
    require(uow.actor, Permission.READ)
    rows = list(
        uow.session.scalars(
            select(models.Epic)
            .where(models.Epic.state.in_([str(s) for s in BACKLOG_STATES]))
            .order_by(models.Epic.created_at, models.Epic.id)
        )
    )
    items = summaries(uow, rows)
    scores = {i.key: _as_score(i.score) for i in items}
    items.sort(key=lambda i: wsjf.rank_key(scores[i.key]))
    scored = [s for s in scores.values() if s is not None]
    return Backlog(
        entries=[BacklogEntry(rank=n, epic=item) for n, item in enumerate(items, start=1)],
        columns_without_one=wsjf.columns_without_one(scored),
    )


def _as_score(score: WsjfScore | None) -> wsjf.Score | None:
    if score is None:
        return None
    return wsjf.Score(score.user_business_value, score.time_criticality, score.risk_reduction, score.job_size)


# --- read ------------------------------------------------------------------------------------------


def epic_row(uow: UnitOfWork, key: str, *, lock: bool = False) -> models.Epic:
    return row_by_key(uow, models.Epic, key, "EPIC", "epic", lock=lock)


def get_epic(uow: UnitOfWork, key: str) -> Epic:
    require(uow.actor, Permission.READ)
    return epic_out(uow, epic_row(uow, key))


def list_epics(uow: UnitOfWork, filters: EpicFilter, page: PageRequest) -> Page[EpicSummary]:
    require(uow.actor, Permission.READ)
    return paginate(
        uow.session,
        _filtered(uow, filters),
        page,
        partial(summaries, uow),
        order_by=(models.Epic.state_entered_at.desc(), models.Epic.id.desc()),
    )


def epic_matches(uow: UnitOfWork, text: str = "", *, limit: int = 20) -> list[EpicSummary]:
    """Epics whose key or title holds `text`, most recently moved first: at most `limit` of them, for a
    picker that narrows as one types."""
    require(uow.actor, Permission.READ)
    epic = models.Epic
    query = select(epic)
    words = text.strip()
    if words:
        query = query.where(any_contains(words, epic.key, epic.title))
    rows = uow.session.scalars(query.order_by(epic.state_entered_at.desc(), epic.id.desc()).limit(limit)).all()
    return summaries(uow, rows)


def _filtered(uow: UnitOfWork, filters: EpicFilter) -> Select[models.Epic]:
    query = select(models.Epic)
    if filters.state is not None:
        query = query.where(models.Epic.state == str(filters.state))
    if filters.theme:
        theme = theme_ids(uow, [filters.theme], field="theme")[0]
        query = query.where(
            models.Epic.id.in_(select(models.EpicTheme.epic_id).where(models.EpicTheme.theme_id == theme))
        )
    if filters.owner:
        query = query.where(models.Epic.owner_user_id == owner_user_id(uow, filters.owner))
    if filters.q:
        words = filters.q.strip()
        query = query.where(or_(contains(models.Epic.title, words), models.Epic.key == words.upper()))
    return query


def summaries(uow: UnitOfWork, rows: Sequence[models.Epic]) -> list[EpicSummary]:
    """Summaries of many epics in three queries (features counted, owners named), whatever their number."""
    ids = [r.id for r in rows]
    counts = rows_per(uow, models.Feature.epic_id, ids)
    owners = usernames(uow, [r.owner_user_id for r in rows])
    return SUMMARIES.validate_python([summary_values(r, owners, counts.get(r.id, 0)) for r in rows])


def usernames(uow: UnitOfWork, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = [i for i in set(ids) if i is not None]
    return {uid: user.username for uid, user in accounts.users_by_id(uow, wanted).items()}


def summary_of(row: models.Epic | Row[Any], owners: dict[int, str], feature_count: int) -> EpicSummary:
    return EpicSummary.model_validate(summary_values(row, owners, feature_count))


def summary_values(
    row: models.Epic | Row[Any] | SimpleNamespace, owners: dict[int, str], feature_count: int
) -> dict[str, Any]:
    """An epic summary's values from an epic, or from a result row with the same column names (the
    board's query), to validate many at once (`SUMMARIES.validate_python`)."""
    score = None
    if row.job_size is not None and row.wsjf is not None:
        score = {
            "user_business_value": row.user_business_value,
            "time_criticality": row.time_criticality,
            "risk_reduction": row.risk_reduction,
            "job_size": row.job_size,
            "cost_of_delay": row.cost_of_delay,
            "wsjf": row.wsjf,
        }
    return {
        "id": row.id,
        "key": row.key,
        "title": row.title,
        "epic_type": row.epic_type,
        "state": row.state,
        "substate": row.substate,
        "done_reason": row.done_reason,
        "owner": owners.get(row.owner_user_id) if row.owner_user_id else None,
        "score": score,
        "state_entered_at": row.state_entered_at,
        "created_at": row.created_at,
        "feature_count": feature_count,
    }


SUMMARIES: TypeAdapter[list[EpicSummary]] = TypeAdapter(list[EpicSummary])


def indicators_of(uow: UnitOfWork, epic_id: int) -> list[Indicator]:
    rows = uow.session.scalars(
        select(models.Indicator).where(models.Indicator.epic_id == epic_id).order_by(models.Indicator.position)
    )
    return [Indicator.model_validate(r) for r in rows]


def theme_keys_of(uow: UnitOfWork, epic_id: int) -> list[str]:
    return list(
        uow.session.scalars(
            select(models.Theme.key)
            .join(models.EpicTheme, models.EpicTheme.theme_id == models.Theme.id)
            .where(models.EpicTheme.epic_id == epic_id)
            .order_by(models.Theme.id)
        )
    )


def epic_out(uow: UnitOfWork, row: models.Epic) -> Epic:
    summary = summaries(uow, [row])[0].model_dump()
    return _as_epic(row, summary, theme_keys_of(uow, row.id), indicators_of(uow, row.id))


def _as_epic(
    row: models.Epic | SimpleNamespace, summary: dict[str, Any], themes: list[str], indicators: list[Indicator]
) -> Epic:
    return copied(
        Epic,
        row,
        **summary,
        themes=themes,
        hypothesis=Hypothesis.model_validate(row.hypothesis),
        business_case=LeanBusinessCase.model_validate(row.business_case, strict=False) if row.business_case else None,
        leading_indicators=indicators,
    )
