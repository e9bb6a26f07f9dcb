"""What every releases topic shares: a flag's stored configuration per environment, its checks, the
segments it may refer to, and the revision counter that tells servers to rebuild."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.schemas import validation_failed
from digital_factory.releases import changes, evaluation, models
from digital_factory.releases.events import FlagsChanged
from digital_factory.releases.schemas import (
    ChangeStatus,
    FlagConfig,
)
from digital_factory.store.uow import UnitOfWork

CHANGE_PREFIX = "FCR"
FLAG_SUBJECT = "flag"
SEGMENT_SUBJECT = "segment"
OPEN_STATUSES = (ChangeStatus.PENDING.value, ChangeStatus.SCHEDULED.value)


def flag_row(uow: UnitOfWork, service_id: int, flag_key: str) -> models.Flag:
    row = uow.session.scalar(
        select(models.Flag).where(models.Flag.service_id == service_id, models.Flag.key == flag_key)
    )
    if row is None:
        raise NotFound(f"no flag {flag_key!r} in this service")
    return row


def refuse_archived(row: models.Flag) -> None:
    if row.archived_at is not None:
        raise Conflict(f"flag {row.key!r} is archived", rule="flag-archived")


def current_config(
    uow: UnitOfWork, flag: models.Flag, environment_id: int
) -> tuple[dict[str, Any], models.FlagState | None]:
    state = uow.session.scalar(
        select(models.FlagState).where(
            models.FlagState.flag_id == flag.id, models.FlagState.environment_id == environment_id
        )
    )
    if state is None:
        return changes.default_config(flag.default_variant, flag.off_variant), None
    return dict(state.config), state


def segments_of(uow: UnitOfWork, environment_id: int) -> dict[str, dict[str, Any]]:
    return {
        row.key: row.definition
        for row in uow.session.scalars(select(models.Segment).where(models.Segment.environment_id == environment_id))
    }


def checked_config(uow: UnitOfWork, flag: models.Flag, environment_id: int, config: dict[str, Any]) -> dict[str, Any]:
    """A full configuration validated against the flag's variants and the environment's segments."""
    try:
        checked = FlagConfig.model_validate(config)
    except ValidationError as exc:
        raise validation_failed(exc) from None
    canonical = checked.model_dump(mode="json", exclude_none=True)
    unknown = sorted(evaluation.referenced_variants(canonical) - set(flag.variants))
    if unknown:
        raise ValidationFailed.on(
            "variant", f"{', '.join(unknown)} is not a variant of {flag.key} ({', '.join(flag.variants)})"
        )
    missing = sorted(evaluation.referenced_segments(canonical) - set(segments_of(uow, environment_id)))
    if missing:
        raise ValidationFailed.on("rules", f"no segment {', '.join(missing)} in this environment")
    return canonical


def segment_size(definition: Mapping[str, Any]) -> str:
    parts = [f"{len(definition.get('included') or [])} included"]
    if definition.get("excluded"):
        parts.append(f"{len(definition['excluded'])} excluded")
    parts.append(f"{len(definition.get('conditions') or [])} conditions")
    return ", ".join(parts)


def flags_using_segment(
    uow: UnitOfWork, service_id: int, environment_id: int, segment_key: str
) -> list[tuple[models.Flag, dict[str, Any]]]:
    rows = uow.session.execute(
        select(models.Flag, models.FlagState)
        .join(models.FlagState, models.FlagState.flag_id == models.Flag.id)
        .where(
            models.Flag.service_id == service_id,
            models.Flag.archived_at.is_(None),
            models.FlagState.environment_id == environment_id,
        )
    ).all()
    return [(flag, state.config) for flag, state in rows if segment_key in evaluation.referenced_segments(state.config)]


def bump(uow: UnitOfWork, service_id: int, environment_ids: Iterable[int]) -> None:
    """Move each environment's revision on, so every server process rebuilds its snapshot."""
    ids = sorted(set(environment_ids))
    now = uow.clock.now()
    for environment_id in ids:
        if _increment_revision(uow, environment_id, now):
            continue
        try:
            with uow.session.begin_nested():
                uow.session.add(
                    models.Revision(environment_id=environment_id, service_id=service_id, revision=1, changed_at=now)
                )
        except IntegrityError:  # another process created it meanwhile
            _increment_revision(uow, environment_id, now)
    uow.emit(FlagsChanged(tuple(ids)))


def _increment_revision(uow: UnitOfWork, environment_id: int, now: datetime) -> bool:
    result = cast(
        CursorResult[Any],
        uow.session.execute(
            update(models.Revision)
            .where(models.Revision.environment_id == environment_id)
            .values(revision=models.Revision.revision + 1, changed_at=now)
        ),
    )
    return bool(result.rowcount)
