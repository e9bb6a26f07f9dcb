"""Strategic themes in OKR form, owned by the board (`portfolio:decide`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.core.schemas import copied
from digital_factory.portfolio import models
from digital_factory.portfolio.records import rows_per
from digital_factory.portfolio.schemas import KeyResult, KeyResultSpec, Theme, ThemeCreate, ThemeUpdate
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork


def create_theme(uow: UnitOfWork, data: ThemeCreate) -> Theme:
    require(uow.actor, Permission.PORTFOLIO_DECIDE)
    now = uow.clock.now()
    row = models.Theme(
        key=next_key(uow.session, "THEME"),
        **data.model_dump(exclude={"key_results"}),
        archived=False,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _replace_key_results(uow, row, data.key_results)
    record_audit(uow, "theme.create", "theme", row.key, after=data.model_dump(mode="json"))
    return _out(uow, row)


def update_theme(uow: UnitOfWork, key: str, data: ThemeUpdate) -> Theme:
    require(uow.actor, Permission.PORTFOLIO_DECIDE)
    row = theme_row(uow, key)
    before = _out(uow, row).model_dump(mode="json", exclude={"created_at", "epic_count", "id"})
    changes = data.model_dump(exclude_unset=True)
    for name in ("objective", "description", "archived"):
        if changes.get(name) is not None:
            setattr(row, name, changes[name])
    for name in ("valid_from", "valid_to"):
        if name in changes:
            setattr(row, name, changes[name])
    if row.valid_from and row.valid_to and row.valid_to < row.valid_from:
        raise ValidationFailed.on("valid_to", "is before valid_from")
    if data.key_results is not None:
        _replace_key_results(uow, row, data.key_results)
    row.updated_at = uow.clock.now()
    uow.session.flush()
    out = _out(uow, row)
    record_audit(
        uow,
        "theme.update",
        "theme",
        row.key,
        before=before,
        after=out.model_dump(mode="json", exclude={"created_at", "epic_count", "id"}),
    )
    return out


def get_theme(uow: UnitOfWork, key: str) -> Theme:
    require(uow.actor, Permission.READ)
    return _out(uow, theme_row(uow, key))


def list_themes(uow: UnitOfWork, *, include_archived: bool = False) -> list[Theme]:
    require(uow.actor, Permission.READ)
    query = select(models.Theme).order_by(models.Theme.id)
    if not include_archived:
        query = query.where(models.Theme.archived.is_(False))
    rows = list(uow.session.scalars(query))
    ids = [r.id for r in rows]
    key_results = _key_results(uow, ids)
    counts = rows_per(uow, models.EpicTheme.theme_id, ids)
    return [_build(row, key_results.get(row.id, []), counts.get(row.id, 0)) for row in rows]


def theme_row(uow: UnitOfWork, key: str) -> models.Theme:
    row = uow.session.scalar(select(models.Theme).where(models.Theme.key == theme_key(key)))
    if row is None:
        raise NotFound(f"no strategic theme with the key {key!r}")
    return row


def theme_key(key: str) -> str:
    """A theme key as stored."""
    return key.strip().upper()


def theme_ids(uow: UnitOfWork, keys: Iterable[str], field: str = "themes") -> list[int]:
    """Theme ids for keys, in order; a ValidationFailed naming every unknown key."""
    wanted: list[str] = []
    for key in keys:
        try:
            parse_key(key, expected_prefix="THEME")
        except ValidationFailed:
            raise ValidationFailed.on(field, f"{key!r} is not a theme key like THEME-1") from None
        if (stored := theme_key(key)) not in wanted:
            wanted.append(stored)
    if not wanted:
        return []
    found = dict(
        uow.session.execute(select(models.Theme.key, models.Theme.id).where(models.Theme.key.in_(wanted))).all()
    )
    missing = [k for k in wanted if k not in found]
    if missing:
        raise ValidationFailed.on(field, f"no strategic theme {', '.join(missing)}")
    return [found[k] for k in wanted]


def _replace_key_results(uow: UnitOfWork, row: models.Theme, specs: list[KeyResultSpec]) -> None:
    for existing in uow.session.scalars(select(models.KeyResult).where(models.KeyResult.theme_id == row.id)):
        uow.session.delete(existing)
    uow.session.flush()
    for position, spec in enumerate(specs):
        uow.session.add(models.KeyResult(theme_id=row.id, position=position, **spec.model_dump()))
    uow.session.flush()


def _key_results(uow: UnitOfWork, theme_ids_: list[int]) -> dict[int, list[KeyResult]]:
    grouped: dict[int, list[KeyResult]] = {}
    if not theme_ids_:
        return grouped
    rows = uow.session.scalars(
        select(models.KeyResult)
        .where(models.KeyResult.theme_id.in_(theme_ids_))
        .order_by(models.KeyResult.theme_id, models.KeyResult.position)
    )
    for r in rows:
        grouped.setdefault(r.theme_id, []).append(KeyResult.model_validate(r))
    return grouped


def _out(uow: UnitOfWork, row: models.Theme) -> Theme:
    count = uow.session.scalar(select(func.count()).where(models.EpicTheme.theme_id == row.id)) or 0
    return _build(row, _key_results(uow, [row.id]).get(row.id, []), count)


def _build(row: models.Theme, key_results: list[KeyResult], epic_count: int) -> Theme:
    return copied(Theme, row, key_results=key_results, epic_count=epic_count)
