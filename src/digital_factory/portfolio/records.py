"""What epics, features and stories share: finding a row by its key, and what every change leaves behind
(its audit entry; for WSJF inputs, the score history), so each kind of item records the same way."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, func, select
from sqlalchemy.orm import InstrumentedAttribute

from digital_factory.accounts.service import record_audit, record_audit_each
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.schemas import InputModel
from digital_factory.portfolio import models, wsjf
from digital_factory.portfolio.schemas import ScoreInput, WsjfScore
from digital_factory.store.uow import UnitOfWork

Keyed = TypeVar("Keyed", models.Epic, models.Feature, models.Story)
Scored = models.Epic | models.Feature


# --- rows by key -------------------------------------------------------------------------------------


def normalize_key(key: str, prefix: str) -> str:
    """`key` in its stored form; a key of another kind (or none at all) is simply not found."""
    try:
        parse_key(key, expected_prefix=prefix)
    except ValidationFailed:
        raise NotFound(f"no {prefix.lower()} with the key {key!r}") from None
    return key.strip().upper()


def row_by_key(uow: UnitOfWork, model: type[Keyed], key: str, prefix: str, noun: str, *, lock: bool) -> Keyed:
    query = select(model).where(model.key == normalize_key(key, prefix))
    if lock:
        query = query.with_for_update()
    row = uow.session.scalar(query)
    if row is None:
        raise NotFound(f"no {noun} with the key {key!r}")
    return row


def rows_per(uow: UnitOfWork, column: InstrumentedAttribute[int], ids: Collection[int]) -> dict[int, int]:
    """How many rows hold each of `ids` in `column` (an id no row holds is left out)."""
    if not ids:
        return {}
    counted = uow.session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column))
    return {value: count for value, count in counted}


# --- audit ---------------------------------------------------------------------------------------------


def audit_created(uow: UnitOfWork, kind: str, key: str, data: InputModel, source_ref: str | None = None) -> None:
    """`<kind>.create` with what was sent (defaults left out); an imported item names its source."""
    after = data.model_dump(mode="json", exclude_defaults=True)
    detail = f"imported from {source_ref}" if source_ref else None
    record_audit(uow, f"{kind}.create", kind, key, after=after, detail=detail)


def audit_created_each(uow: UnitOfWork, kind: str, created: Sequence[tuple[str, InputModel]]) -> None:
    """`audit_created` for many items at once (none imported), in one statement."""
    sent = [(key, data.model_dump(mode="json", exclude_defaults=True)) for key, data in created]
    record_audit_each(uow, f"{kind}.create", kind, sent)


def audit_changes(uow: UnitOfWork, kind: str, key: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """`<kind>.update` with only the fields that changed, before and after."""
    changed = sorted(k for k in after if after[k] != before.get(k))
    record_audit(
        uow,
        f"{kind}.update",
        kind,
        key,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )


# --- WSJF scores ---------------------------------------------------------------------------------------


WSJF_COLUMNS = ("user_business_value", "time_criticality", "risk_reduction", "job_size", "cost_of_delay", "wsjf")


def score_values(data: ScoreInput | None) -> dict[str, Any]:
    """The WSJF columns for `data`: its inputs and the derived cost of delay and WSJF (all None for none)."""
    return dict.fromkeys(WSJF_COLUMNS) if data is None else _columns(_score_of(data))


def _score_of(data: ScoreInput) -> wsjf.Score:
    return wsjf.Score(data.user_business_value, data.time_criticality, data.risk_reduction, data.job_size)


def _columns(score: wsjf.Score) -> dict[str, Any]:
    return {**score.as_dict(), "cost_of_delay": score.cost_of_delay, "wsjf": score.wsjf}


def first_score(uow: UnitOfWork, item: dict[str, int], data: ScoreInput, at: datetime, *, note: str) -> dict[str, Any]:
    """A new epic's or feature's first score history entry, as a row's values (`item` names which)."""
    return {**item, "at": at, "actor_name": uow.actor.name, "note": note, **score_values(data)}


def apply_score(uow: UnitOfWork, row: Scored, data: ScoreInput, *, note: str | None = None) -> wsjf.Score:
    """Set an epic's or feature's WSJF inputs and derived figures, and append to the score history."""
    score = _score_of(data)
    values = _columns(score)
    for name, value in values.items():
        setattr(row, name, value)
    is_epic = isinstance(row, models.Epic)
    uow.session.add(
        models.Score(
            epic_id=row.id if is_epic else None,
            feature_id=None if is_epic else row.id,
            at=uow.clock.now(),
            actor_name=uow.actor.name,
            note=note if note is not None else data.note,
            **values,
        )
    )
    return score


def rescore(uow: UnitOfWork, kind: str, row: Scored, data: ScoreInput, *, note: str, detail: str | None = None) -> None:
    """Score an existing epic or feature again: the new score, its history entry and `<kind>.score`."""
    before = score_out(row)
    score = apply_score(uow, row, data, note=note)
    row.updated_at = uow.clock.now()
    record_audit(
        uow,
        f"{kind}.score",
        kind,
        row.key,
        before=before.model_dump() if before else None,
        after={**score.as_dict(), "wsjf": score.wsjf, "note": note},
        detail=detail,
    )


def score_out(row: models.WsjfColumns | Row[Any]) -> WsjfScore | None:
    if row.job_size is None or row.wsjf is None:
        return None
    return WsjfScore(
        user_business_value=row.user_business_value or 0,
        time_criticality=row.time_criticality or 0,
        risk_reduction=row.risk_reduction or 0,
        job_size=row.job_size,
        cost_of_delay=row.cost_of_delay or 0,
        wsjf=row.wsjf,
    )
