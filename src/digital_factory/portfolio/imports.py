"""Importing epics and features (a tracker export as CSV or JSON): every row validated first, row-level
errors, a dry run; nothing stored when any row is invalid unless bad rows are to be skipped. Valid rows
are stored in bulk (a few statements per table, not per row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, insert, select

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import FieldProblem, NotFound, ValidationFailed
from digital_factory.core.keys import parse_key
from digital_factory.portfolio import importing, models
from digital_factory.portfolio.events import EpicCreated, FeatureCreated
from digital_factory.portfolio.kanban import EpicState
from digital_factory.portfolio.new_epics import Entry, owner_ids, store_epics
from digital_factory.portfolio.records import first_score, score_values
from digital_factory.portfolio.schemas import (
    EpicCreate,
    FeatureCreate,
    ImportedItem,
    ImportFormat,
    ImportReport,
    RowError,
    WorkState,
)
from digital_factory.store.bulk import insert_numbered
from digital_factory.store.sequences import next_keys
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

MAX_REF_LENGTH = 100
FEATURES = cast(Table, models.Feature.__table__)
_PLACEHOLDER_EPIC = "EPIC-1"


@dataclass
class _Checked:
    row: importing.Row
    epic: EpicCreate | None = None
    feature: FeatureCreate | None = None
    errors: list[RowError] = field(default_factory=list)
    parent_row: int | None = None  # features under an epic of this file
    parent_epic_id: int | None = None  # features under an epic already stored


def import_items(
    uow: UnitOfWork, content: str, fmt: ImportFormat, *, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    parsed = importing.parse_csv(content) if fmt is ImportFormat.CSV else importing.parse_json(content)
    if parsed.problems and not parsed.rows:  # the file itself is unreadable: nothing to report per row
        problems = [FieldProblem(p.field, p.reason) for p in parsed.problems]
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    file_errors = [RowError(row=p.row, ref=p.ref, field=p.field, reason=p.reason) for p in parsed.problems]
    checked = [_validate_row(row) for row in parsed.rows]
    if any(c.row.kind == "feature" for c in checked):
        require(uow.actor, Permission.PRODUCT_WRITE)
    _check_references(uow, checked)
    valid = _usable(checked)
    errors = file_errors + [e for c in checked for e in c.errors]
    errors.sort(key=lambda e: e.row)
    store = not dry_run and (skip_invalid or not errors)
    created = _store(uow, valid, fmt) if store else {}
    items = [
        ImportedItem(
            row=c.row.number,
            kind=c.row.kind,
            ref=c.row.ref,
            key=created.get(c.row.number),
            title=(c.epic.title if c.epic else c.feature.title if c.feature else ""),
        )
        for c in valid
    ]
    would_store = store or (dry_run and (skip_invalid or not errors))
    return ImportReport(
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        epics=sum(1 for c in valid if c.epic) if would_store else 0,
        features=sum(1 for c in valid if c.feature) if would_store else 0,
        skipped=len({e.row for e in errors}) if would_store else 0,
        items=items if would_store else [],
        errors=errors,
        ignored_columns=parsed.ignored_columns,
    )


def _validate_row(row: importing.Row) -> _Checked:
    checked = _Checked(row=row)
    if row.ref is not None and len(row.ref) > MAX_REF_LENGTH:
        checked.errors.append(_error(row, "ref", f"longer than {MAX_REF_LENGTH} characters"))
    try:
        # JSON is validated like an API request (the models' own strictness); CSV cells are text
        strict = None if not row.lax else False
        if row.kind == "epic":
            checked.epic = EpicCreate.model_validate(row.data, strict=strict)
        else:
            data = {**row.data, "epic": _PLACEHOLDER_EPIC}
            checked.feature = FeatureCreate.model_validate(data, strict=strict)
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "row"
            checked.errors.append(_error(row, where, problem["msg"]))
    return checked


def _error(row: importing.Row, field_name: str, reason: str) -> RowError:
    return RowError(row=row.number, ref=row.ref, field=field_name, reason=reason)


def _check_references(uow: UnitOfWork, checked: list[_Checked]) -> None:
    refs: dict[str, _Checked] = {}
    for c in checked:
        if c.row.ref is None:
            continue
        if c.row.ref in refs:
            c.errors.append(_error(c.row, "ref", f"also used on row {refs[c.row.ref].row.number}"))
        else:
            refs[c.row.ref] = c
    _check_already_imported(uow, checked)
    users = _lookup(
        {c.epic.owner for c in checked if c.epic and c.epic.owner},
        lambda name: accounts.get_user(uow, name.lower()).id,
    )
    team_ids = _lookup(
        {c.feature.team for c in checked if c.feature and c.feature.team}, lambda k: teams.team_id(uow, k)
    )
    theme_keys = {k.strip().upper() for c in checked if c.epic for k in c.epic.themes}
    themes = dict(
        uow.session.execute(select(models.Theme.key, models.Theme.id).where(models.Theme.key.in_(theme_keys))).all()
    )
    for c in checked:
        if c.epic is not None:
            if c.epic.owner and users.get(c.epic.owner) is None:
                c.errors.append(_error(c.row, "owner", f"no user named {c.epic.owner!r}"))
            unknown = [k for k in c.epic.themes if k.strip().upper() not in themes]
            if unknown:
                c.errors.append(_error(c.row, "themes", f"no strategic theme {', '.join(unknown)}"))
        if c.feature is not None:
            if c.feature.team and team_ids.get(c.feature.team) is None:
                c.errors.append(_error(c.row, "team", f"no team {c.feature.team!r}"))
            _resolve_parent(uow, c, refs)


def _check_already_imported(uow: UnitOfWork, checked: list[_Checked]) -> None:
    epic_refs = [c.row.ref for c in checked if c.row.ref and c.row.kind == "epic"]
    feature_refs = [c.row.ref for c in checked if c.row.ref and c.row.kind == "feature"]
    existing = dict(
        uow.session.execute(
            select(models.Epic.source_ref, models.Epic.key).where(models.Epic.source_ref.in_(epic_refs))
        ).all()
    )
    existing.update(
        uow.session.execute(
            select(models.Feature.source_ref, models.Feature.key).where(models.Feature.source_ref.in_(feature_refs))
        ).all()
    )
    for c in checked:
        if c.row.ref and c.row.ref in existing:
            c.errors.append(_error(c.row, "ref", f"already imported as {existing[c.row.ref]}"))


def _resolve_parent(uow: UnitOfWork, c: _Checked, refs: dict[str, _Checked]) -> None:
    parent = c.row.parent or ""
    if parent.startswith("#row"):
        c.parent_row = int(parent[4:])
        return
    in_file = refs.get(parent)
    if in_file is not None:
        if in_file.row.kind != "epic":
            c.errors.append(_error(c.row, "parent", f"{parent!r} is a feature, not an epic"))
        else:
            c.parent_row = in_file.row.number
        return
    try:
        parse_key(parent, expected_prefix="EPIC")
    except ValidationFailed:
        c.errors.append(_error(c.row, "parent", f"no epic with the ref {parent!r} in this file"))
        return
    epic = uow.session.scalar(select(models.Epic).where(models.Epic.key == parent.strip().upper()))
    if epic is None:
        c.errors.append(_error(c.row, "parent", f"no epic {parent!r}"))
    elif epic.state == EpicState.DONE:
        c.errors.append(_error(c.row, "parent", f"{epic.key} is done; it takes no new features"))
    else:
        c.parent_epic_id = epic.id


def _lookup(names: set[str], find: Callable[[str], int]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for name in names:
        try:
            found[name] = find(name)
        except NotFound:
            found[name] = None
    return found


def _usable(checked: list[_Checked]) -> list[_Checked]:
    """Rows that can be stored: valid themselves, and (features) under a valid epic."""
    by_number = {c.row.number: c for c in checked}
    for c in checked:
        if c.feature is None or c.errors or c.parent_row is None:
            continue
        parent = by_number.get(c.parent_row)
        if parent is None or parent.errors:
            c.errors.append(_error(c.row, "parent", f"its epic (row {c.parent_row}) is invalid"))
    return [c for c in checked if not c.errors]


# --- storing, in bulk ------------------------------------------------------------------------------


def _store(uow: UnitOfWork, valid: list[_Checked], fmt: ImportFormat) -> dict[int, str]:
    """Store the valid rows; the keys given, by row number."""
    now = uow.clock.now()
    epics = [c for c in valid if c.epic is not None]
    features = [c for c in valid if c.feature is not None]
    created: dict[int, str] = {}
    epic_ids = _store_epics(uow, epics, now, created) if epics else {}
    if features:
        _store_features(uow, features, epic_ids, now, created)
    for c in epics:
        assert c.epic is not None
        uow.emit(EpicCreated(epic_id=epic_ids[c.row.number], key=created[c.row.number], title=c.epic.title))
    record_audit(
        uow,
        "epic.import",
        "import",
        None,
        after={
            "format": str(fmt),
            "epics": [created[c.row.number] for c in epics],
            "features": [created[c.row.number] for c in features],
        },
        detail=f"{len(epics)} epics and {len(features)} features imported",
    )
    return created


def _store_epics(uow: UnitOfWork, epics: list[_Checked], now: Any, created: dict[int, str]) -> dict[int, int]:
    """Insert the epics with their transitions, themes, indicators and scores; their ids by row number."""
    data = [c.epic for c in epics if c.epic is not None]
    owners = owner_ids(uow, (e.owner for e in data))
    themes = dict(uow.session.execute(select(models.Theme.key, models.Theme.id)).all())
    refs = [c.row.ref for c in epics]
    entry = Entry(now, "imported", score_note="imported")
    stored = store_epics(uow, data, owners=owners, themes=themes, entry=entry, refs=refs)
    ids: dict[int, int] = {}
    for c, epic in zip(epics, stored, strict=True):
        created[c.row.number], ids[c.row.number] = epic.key, epic.id
    return ids


def _store_features(
    uow: UnitOfWork, features: list[_Checked], epic_ids: dict[int, int], now: Any, created: dict[int, str]
) -> None:
    """Insert the features with their transitions and scores, under an epic of the file or of the store."""
    team_ids = {
        key: teams.team_id(uow, key) for key in {c.feature.team for c in features if c.feature and c.feature.team}
    }
    values = []
    for c, key in zip(features, next_keys(uow.session, "FEAT", len(features)), strict=True):
        epic_id = c.parent_epic_id if c.parent_epic_id is not None else epic_ids[c.parent_row or 0]
        values.append(_feature_values(c, epic_id, team_ids, now, key))
    ids = dict(zip((c.row.number for c in features), insert_numbered(uow.session, FEATURES, values), strict=True))
    created.update((c.row.number, row["key"]) for c, row in zip(features, values, strict=True))
    _feature_children(uow, features, ids, now)
    epic_keys = dict(
        uow.session.execute(
            select(models.Epic.id, models.Epic.key).where(models.Epic.id.in_({v["epic_id"] for v in values}))
        ).all()
    )
    for c, row in zip(features, values, strict=True):
        uow.emit(
            FeatureCreated(
                feature_id=ids[c.row.number],
                key=created[c.row.number],
                epic_key=epic_keys[row["epic_id"]],
                team_key=c.feature.team if c.feature else None,
            )
        )


def _feature_values(c: _Checked, epic_id: int, team_ids: dict[str, int], now: Any, key: str) -> dict[str, Any]:
    f = c.feature
    assert f is not None
    return {
        "key": key,
        "source_ref": c.row.ref,
        "epic_id": epic_id,
        "title": f.title,
        "description": f.description,
        "benefit_hypothesis": f.benefit_hypothesis,
        "acceptance_criteria": list(f.acceptance_criteria),
        "feature_type": str(f.feature_type),
        "flow_item": str(f.flow_item),
        "team_id": team_ids.get(f.team) if f.team else None,
        "state": str(WorkState.NEW),
        "created_at": now,
        "updated_at": now,
        "state_changed_at": now,
        "cost_of_delay": None,
        "wsjf": None,
        **score_values(f.score),
    }


def _feature_children(uow: UnitOfWork, features: list[_Checked], ids: dict[int, int], now: Any) -> None:
    transitions: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for c in features:
        assert c.feature is not None
        feature_id = ids[c.row.number]
        transitions.append(
            {
                "feature_id": feature_id,
                "to_state": str(WorkState.NEW),
                "at": now,
                "actor_user_id": uow.actor.user_id,
                "actor_name": uow.actor.name,
                "reason": "imported",
            }
        )
        if c.feature.score is not None:
            scores.append(first_score(uow, {"feature_id": feature_id}, c.feature.score, now, note="imported"))
    _bulk(uow, models.WorkTransition, transitions)
    _bulk(uow, models.Score, scores)


def _bulk(uow: UnitOfWork, model: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        uow.session.execute(insert(model), rows)
