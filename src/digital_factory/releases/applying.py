"""Applying a change: the new flag state or segment, and a release record where customers notice."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import select

from digital_factory.accounts.service import record_audit
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Environment
from digital_factory.core.errors import ValidationFailed
from digital_factory.releases import changes, models
from digital_factory.releases.events import FlagReleased
from digital_factory.releases.schemas import (
    ChangeStatus,
)
from digital_factory.releases.state import (
    FLAG_SUBJECT,
    bump,
    checked_config,
    current_config,
    flags_using_segment,
    segment_size,
)
from digital_factory.store.uow import UnitOfWork


def apply_change(uow: UnitOfWork, row: models.Change, *, approved_by: str | None) -> None:
    """Apply a change now (validated again: the flag may have moved on since it was requested)."""
    env = catalog.get_environment(uow, row.service_key, row.environment)
    release = (
        _apply_flag(uow, row, env, approved_by)
        if row.subject == FLAG_SUBJECT
        else _apply_segment(uow, row, env, approved_by)
    )
    row.status = ChangeStatus.APPLIED.value
    row.applied_at = uow.clock.now()
    row.release_id = release.id if release is not None else None
    bump(uow, row.service_id, [row.environment_id])
    uow.session.flush()


def _apply_flag(
    uow: UnitOfWork, row: models.Change, env: Environment, approved_by: str | None
) -> models.Release | None:
    flag = uow.session.get(models.Flag, row.flag_id)
    if flag is None or flag.archived_at is not None:
        raise ValidationFailed.on("flag", "the flag is archived")
    before, state = current_config(uow, flag, env.id)
    after = checked_config(uow, flag, env.id, changes.apply_patch(before, row.payload))
    now = uow.clock.now()
    if state is None:
        uow.session.add(
            models.FlagState(
                flag_id=flag.id,
                environment_id=env.id,
                config=after,
                version=1,
                updated_at=now,
                updated_by=row.requested_by,
            )
        )
    else:
        state.config, state.version = after, state.version + 1
        state.updated_at, state.updated_by = now, row.requested_by
    record_audit(
        uow,
        "flag.change",
        "flag",
        f"{row.service_key}/{flag.key}",
        before={"environment": env.name, **before},
        after={"environment": env.name, "change": row.key, **after},
    )
    if not changes.is_release(before, after):
        return None
    kind, summary = changes.kind_and_summary(before, after)
    return record_release(
        uow, flag, env, before, after, kind=kind, summary=summary, change=row, approved_by=approved_by
    )


def _apply_segment(
    uow: UnitOfWork, row: models.Change, env: Environment, approved_by: str | None
) -> models.Release | None:
    assert row.segment_key is not None
    definition = {name: row.payload[name] for name in ("included", "excluded", "conditions")}
    previous = _store_segment(uow, row, env, definition)
    record_audit(
        uow,
        "segment.change",
        "segment",
        f"{row.service_key}/{env.name}/{row.segment_key}",
        before=previous,
        after={"change": row.key, **definition},
    )
    if previous == definition:
        return None
    last = None
    for flag, config in flags_using_segment(uow, row.service_id, env.id, row.segment_key):
        if not config.get("enabled"):
            continue
        last = record_release(
            uow,
            flag,
            env,
            {"segment": row.segment_key, **(previous or {})},
            {"segment": row.segment_key, **definition},
            kind="segment",
            summary=f"segment {row.segment_key} changed: {segment_size(definition)}",
            change=row,
            approved_by=approved_by,
            exposure_before=changes.exposure(config),
        )
    return last


def _store_segment(
    uow: UnitOfWork, row: models.Change, env: Environment, definition: dict[str, Any]
) -> dict[str, Any] | None:
    """Create or replace the segment the change names; its previous definition (None when new)."""
    segment = uow.session.scalar(
        select(models.Segment).where(models.Segment.environment_id == env.id, models.Segment.key == row.segment_key)
    )
    previous = dict(segment.definition) if segment is not None else None
    if segment is None:
        segment = models.Segment(service_id=row.service_id, environment_id=env.id, key=row.segment_key, version=0)
        uow.session.add(segment)
    segment.name, segment.description, segment.definition = row.payload["name"], row.payload["description"], definition
    segment.version += 1
    segment.updated_at, segment.updated_by = uow.clock.now(), row.requested_by
    return previous


def record_release(
    uow: UnitOfWork,
    flag: models.Flag,
    environment: Environment,
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    kind: str,
    summary: str,
    change: models.Change | None,
    approved_by: str | None = None,
    exposure_before: float | None = None,
    exposure_after: float | None = None,
) -> models.Release:
    """Record a release and announce it (FlagReleased, after the commit). `change` is the change applied
    (None: the acting person's own doing, such as archiving). An exposure not given is read from the
    configuration before or after; one left unknown afterwards stays what it was before."""
    if "enabled" in before and exposure_before is None:
        exposure_before = changes.exposure(before)
    if "enabled" in after and exposure_after is None:
        exposure_after = changes.exposure(after)
    row = models.Release(
        service_id=flag.service_id,
        environment_id=environment.id,
        flag_id=flag.id,
        service_key=environment.service,
        environment=environment.name,
        flag_key=flag.key,
        feature_key=flag.feature_key,
        kind=kind,
        summary=summary,
        before=before,
        after=after,
        exposure_before=exposure_before,
        exposure_after=exposure_before if exposure_after is None else exposure_after,
        requested_by=change.requested_by if change else uow.actor.name,
        approved_by=approved_by,
        change_key=change.key if change else None,
        at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.emit(_released(row))
    return row


def _released(row: models.Release) -> FlagReleased:
    """The event of a stored release: its fields are the release's columns of the same name."""
    names = [f.name for f in fields(FlagReleased) if f.name != "release_id"]
    return FlagReleased(release_id=row.id, **{name: getattr(row, name) for name in names})
