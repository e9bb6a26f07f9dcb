"""Releases use-cases: flags, governed changes, segments, the release timeline, client keys, evaluation
counts and previews. Callers own the transaction.

Governance: a change in an environment whose policy lists approval roles waits as a pending change until
another person with one of those roles approves it; elsewhere it applies at once (or at its scheduled
time). Every applied change that alters what customers get becomes a release record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import SecretDigester, allowed, generate_secret, record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Environment
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.schemas import validation_failed
from digital_factory.portfolio import service as portfolio
from digital_factory.releases import changes, evaluation, models
from digital_factory.releases.events import ClientKeyRevoked, FlagReleased, FlagsChanged
from digital_factory.releases.schemas import (
    MAX_VARIANTS,
    VARIANT_PATTERN,
    Change,
    ChangeFilter,
    ChangeStatus,
    ClientKey,
    CreatedClientKey,
    Decision,
    EnvironmentState,
    EvaluationCounts,
    Flag,
    FlagChange,
    FlagConfig,
    FlagCreate,
    FlagType,
    FlagUpdate,
    HourCount,
    Kill,
    PreviewResult,
    Release,
    ReleaseFilter,
    Segment,
    SegmentSpec,
    VariantCount,
)
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork

CLIENT_KEY_PREFIX = "dffk"
CHANGE_PREFIX = "FCR"
FLAG_SUBJECT = "flag"
SEGMENT_SUBJECT = "segment"
OPEN_STATUSES = (ChangeStatus.PENDING.value, ChangeStatus.SCHEDULED.value)
TOUCH_INTERVAL = timedelta(minutes=5)


# --- flags -------------------------------------------------------------------------------------------


def create_flag(uow: UnitOfWork, service_key: str, data: FlagCreate) -> Flag:
    require(uow.actor, Permission.RELEASES_WRITE)
    service_id = catalog.service_id(uow, service_key)
    environments = catalog.list_environments(uow, service_key)
    if uow.session.scalar(
        select(models.Flag.id).where(models.Flag.service_id == service_id, models.Flag.key == data.key)
    ):
        raise Conflict(f"service {service_key!r} already has a flag {data.key!r}", rule="unique-flag-key")
    variants = _checked_variants(data.type, data.variants)
    names = list(variants)
    if data.type is FlagType.BOOLEAN and {"on", "off"} <= set(names):
        default_variant, off_variant = data.default_variant or "on", data.off_variant or "off"
    else:
        default_variant, off_variant = data.default_variant or names[0], data.off_variant or names[0]
    for field_name, name in (("default_variant", default_variant), ("off_variant", off_variant)):
        if name not in variants:
            raise ValidationFailed.on(field_name, f"{name!r} is not one of the variants ({', '.join(names)})")
    row = models.Flag(
        service_id=service_id,
        key=data.key,
        name=data.name or data.key,
        description=data.description,
        flag_type=str(data.type),
        variants=variants,
        default_variant=default_variant,
        off_variant=off_variant,
        feature_key=_known_feature(uow, data.feature),
        created_at=uow.clock.now(),
        created_by=uow.actor.name,
    )
    uow.session.add(row)
    uow.session.flush()
    _bump(uow, service_id, [e.id for e in environments])
    record_audit(uow, "flag.create", "flag", f"{service_key}/{row.key}", after=_flag_view(row))
    return _flag_out(uow, service_key, environments, row)


def get_flag(uow: UnitOfWork, service_key: str, flag_key: str) -> Flag:
    require(uow.actor, Permission.READ)
    row = _flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    return _flag_out(uow, service_key, catalog.list_environments(uow, service_key), row)


def list_flags(uow: UnitOfWork, service_key: str, *, include_archived: bool = False) -> list[Flag]:
    require(uow.actor, Permission.READ)
    service_id = catalog.service_id(uow, service_key)
    environments = catalog.list_environments(uow, service_key)
    query = select(models.Flag).where(models.Flag.service_id == service_id)
    if not include_archived:
        query = query.where(models.Flag.archived_at.is_(None))
    rows = uow.session.scalars(query.order_by(models.Flag.key)).all()
    states = _states_of(uow, [r.id for r in rows])
    return [_flag_out(uow, service_key, environments, row, states.get(row.id, {})) for row in rows]


def update_flag(uow: UnitOfWork, service_key: str, flag_key: str, data: FlagUpdate) -> Flag:
    require(uow.actor, Permission.RELEASES_WRITE)
    service_id = catalog.service_id(uow, service_key)
    row = _flag_row(uow, service_id, flag_key)
    _refuse_archived(row)
    environments = catalog.list_environments(uow, service_key)
    before = _flag_view(row)
    changes_given = data.model_dump(exclude_unset=True)
    if "name" in changes_given and data.name is not None:
        row.name = data.name
    if "description" in changes_given and data.description is not None:
        row.description = data.description
    if "feature" in changes_given:
        row.feature_key = _known_feature(uow, data.feature)
    if data.variants is not None:
        row.variants = _changed_variants(uow, row, data.variants)
        _bump(uow, service_id, [e.id for e in environments])
    uow.session.flush()
    record_audit(uow, "flag.update", "flag", f"{service_key}/{row.key}", before=before, after=_flag_view(row))
    return _flag_out(uow, service_key, environments, row)


def archive_flag(uow: UnitOfWork, service_key: str, flag_key: str) -> Flag:
    """Retire a flag: SDKs get FLAG_NOT_FOUND (their code default). Only when it is off everywhere."""
    require(uow.actor, Permission.RELEASES_WRITE)
    service_id = catalog.service_id(uow, service_key)
    row = _flag_row(uow, service_id, flag_key)
    _refuse_archived(row)
    environments = catalog.list_environments(uow, service_key)
    states = _states_of(uow, [row.id]).get(row.id, {})
    still_on = [e.name for e in environments if e.id in states and states[e.id].config.get("enabled")]
    if still_on:
        raise Conflict(
            f"flag {flag_key!r} is still on in {', '.join(still_on)}: turn it off there first",
            rule="flag-still-on",
        )
    now = uow.clock.now()
    row.archived_at = now
    for change in uow.session.scalars(
        select(models.Change).where(models.Change.flag_id == row.id, models.Change.status.in_(OPEN_STATUSES))
    ):
        change.status = ChangeStatus.CANCELLED.value
        change.note = "the flag was archived"
        change.decided_at = now
        change.decided_by = uow.actor.name
    for environment in environments:
        state = states.get(environment.id)
        if state is not None:
            _record_release(
                uow,
                flag=row,
                service_key=service_key,
                environment=environment,
                before=state.config,
                after={"archived": True},
                kind="archive",
                summary="archived: SDKs fall back to their code default",
                requested_by=uow.actor.name,
                approved_by=None,
                change_key=None,
                exposure_after=0.0,
            )
    _bump(uow, service_id, [e.id for e in environments])
    record_audit(uow, "flag.archive", "flag", f"{service_key}/{row.key}", before=_flag_view(row))
    return _flag_out(uow, service_key, environments, row, states)


# --- changes -------------------------------------------------------------------------------------------


def request_change(uow: UnitOfWork, service_key: str, flag_key: str, environment: str, data: FlagChange) -> Change:
    """Change a flag in one environment: applied now, scheduled, or pending approval (the policy decides)."""
    require(uow.actor, Permission.RELEASES_WRITE)
    env = catalog.get_environment(uow, service_key, environment)
    service_id = catalog.service_id(uow, service_key)
    flag = _flag_row(uow, service_id, flag_key)
    _refuse_archived(flag)
    current, _ = _current_config(uow, flag, env.id)
    _checked_config(uow, flag, env.id, changes.apply_patch(current, data.patch()))
    row = _new_change(uow, service_id, env, at=data.at, reason=data.reason, subject=FLAG_SUBJECT, payload=data.patch())
    row.flag_id = flag.id
    return _submit(uow, row, env, f"{service_key}/{flag.key}")


def kill_flag(uow: UnitOfWork, service_key: str, flag_key: str, environment: str, data: Kill) -> Change:
    """The kill switch: off at once. Where changes need approval, only a person who could approve may
    pull it without waiting (an emergency stop must not wait for a second person)."""
    require(uow.actor, Permission.RELEASES_WRITE)
    env = catalog.get_environment(uow, service_key, environment)
    if env.needs_approval and uow.actor.role not in env.approval_roles:
        raise PermissionDenied(
            f"in {environment} only {', '.join(env.approval_roles)} may switch a flag off without approval; "
            "request the change instead"
        )
    service_id = catalog.service_id(uow, service_key)
    flag = _flag_row(uow, service_id, flag_key)
    _refuse_archived(flag)
    row = _new_change(
        uow,
        service_id,
        env,
        at=None,
        reason=data.reason or "kill switch",
        subject=FLAG_SUBJECT,
        payload={"enabled": False},
    )
    row.flag_id = flag.id
    row.status = ChangeStatus.APPLIED.value
    _apply(uow, row, approved_by=None)
    record_audit(
        uow,
        "flag.kill",
        "flag",
        f"{service_key}/{flag.key}",
        after={"environment": environment, "change": row.key, "reason": row.reason},
    )
    return _change_out(uow, row)


def put_segment(uow: UnitOfWork, service_key: str, environment: str, data: SegmentSpec) -> Change:
    """Create or replace a segment; governed like flag changes, because it changes who gets what."""
    require(uow.actor, Permission.RELEASES_WRITE)
    env = catalog.get_environment(uow, service_key, environment)
    service_id = catalog.service_id(uow, service_key)
    payload = {"name": data.name or data.key, "description": data.description, **data.definition()}
    row = _new_change(uow, service_id, env, at=data.at, reason=data.reason, subject=SEGMENT_SUBJECT, payload=payload)
    row.segment_key = data.key
    return _submit(uow, row, env, f"{service_key}/{data.key}")


def _new_change(
    uow: UnitOfWork,
    service_id: int,
    env: Environment,
    *,
    at: datetime | None,
    reason: str,
    subject: str,
    payload: dict[str, Any],
) -> models.Change:
    now = uow.clock.now()
    if at is not None and as_utc(at) <= now:
        raise ValidationFailed.on("at", "must be in the future (it is when the change applies)")
    if env.needs_approval:
        status = ChangeStatus.PENDING
    else:
        status = ChangeStatus.SCHEDULED if at is not None else ChangeStatus.APPLIED
    row = models.Change(
        key=next_key(uow.session, CHANGE_PREFIX),
        service_id=service_id,
        environment_id=env.id,
        service_key=env.service,
        environment=env.name,
        subject=subject,
        payload=payload,
        reason=reason,
        status=status.value,
        requested_by_id=uow.actor.user_id,
        requested_by=uow.actor.name,
        requested_at=now,
        due_at=as_utc(at) if at is not None else None,
        note="",
    )
    uow.session.add(row)
    return row


def _submit(uow: UnitOfWork, row: models.Change, env: Environment, object_id: str) -> Change:
    uow.session.flush()
    if row.status == ChangeStatus.APPLIED.value:
        _apply(uow, row, approved_by=None)
    else:
        record_audit(
            uow,
            f"{row.subject}.change-request",
            row.subject,
            object_id,
            after={"change": row.key, "environment": env.name, "status": row.status, **row.payload},
        )
    return _change_out(uow, row, env.approval_roles)


def approve_change(uow: UnitOfWork, change_key: str, data: Decision | None = None) -> Change:
    """Another person with one of the environment's approval roles approves; the change then applies
    (or waits for its scheduled time)."""
    row = _change_row(uow, change_key, lock=True)
    env = catalog.get_environment(uow, row.service_key, row.environment)
    _require_decider(uow, row, env, "approve")
    _require_status(row, ChangeStatus.PENDING)
    now = uow.clock.now()
    row.decided_by_id, row.decided_by, row.decided_at = uow.actor.user_id, uow.actor.name, now
    row.note = data.note if data else ""
    record_audit(uow, "change.approve", "change", row.key, after={"note": row.note, "environment": row.environment})
    if row.due_at is not None and as_utc(row.due_at) > now:
        row.status = ChangeStatus.SCHEDULED.value
    else:
        try:
            _apply(uow, row, approved_by=uow.actor.name)
        except ValidationFailed as exc:
            raise Conflict(
                f"change {row.key} no longer fits the flag ({exc.detail}); reject it and request a new one",
                rule="change-invalid",
            ) from None
    uow.session.flush()
    return _change_out(uow, row, env.approval_roles)


def reject_change(uow: UnitOfWork, change_key: str, data: Decision | None = None) -> Change:
    row = _change_row(uow, change_key, lock=True)
    env = catalog.get_environment(uow, row.service_key, row.environment)
    _require_decider(uow, row, env, "reject")
    _require_status(row, ChangeStatus.PENDING)
    row.status = ChangeStatus.REJECTED.value
    row.decided_by_id, row.decided_by, row.decided_at = uow.actor.user_id, uow.actor.name, uow.clock.now()
    row.note = data.note if data else ""
    record_audit(uow, "change.reject", "change", row.key, after={"note": row.note, "environment": row.environment})
    uow.session.flush()
    return _change_out(uow, row, env.approval_roles)


def cancel_change(uow: UnitOfWork, change_key: str) -> Change:
    """The requester withdraws a pending or scheduled change; so may anyone who could approve it."""
    require(uow.actor, Permission.RELEASES_WRITE)
    row = _change_row(uow, change_key, lock=True)
    env = catalog.get_environment(uow, row.service_key, row.environment)
    if not _is_requester(uow, row) and env.needs_approval and uow.actor.role not in env.approval_roles:
        raise PermissionDenied(f"only {row.requested_by} or an approver in {row.environment} may cancel {row.key}")
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"change {row.key} is {row.status}, not pending or scheduled", rule="change-closed")
    row.status = ChangeStatus.CANCELLED.value
    row.decided_by_id, row.decided_by, row.decided_at = uow.actor.user_id, uow.actor.name, uow.clock.now()
    record_audit(uow, "change.cancel", "change", row.key, after={"environment": row.environment})
    uow.session.flush()
    return _change_out(uow, row, env.approval_roles)


def apply_due_changes(uow: UnitOfWork) -> list[Change]:
    """Apply scheduled changes whose time has come (a periodic job; the store's clock decides).

    Row locks (skipped when another process holds them) make each change apply exactly once."""
    due = uow.session.scalars(
        select(models.Change)
        .where(models.Change.status == ChangeStatus.SCHEDULED.value, models.Change.due_at <= uow.clock.now())
        .order_by(models.Change.due_at, models.Change.id)
        .with_for_update(skip_locked=True)
    ).all()
    done = []
    for row in due:
        try:
            with uow.session.begin_nested():
                _apply(uow, row, approved_by=row.decided_by)
        except ValidationFailed as exc:
            row.status = ChangeStatus.FAILED.value
            row.failure = exc.detail
            record_audit(uow, "change.fail", "change", row.key, outcome="failure", detail=exc.detail)
        done.append(_change_out(uow, row))
    return done


def get_change(uow: UnitOfWork, change_key: str) -> Change:
    require(uow.actor, Permission.READ)
    row = _change_row(uow, change_key)
    return _change_out(uow, row)


def list_changes(uow: UnitOfWork, filters: ChangeFilter, page: PageRequest) -> Page[Change]:
    require(uow.actor, Permission.READ)
    query = select(models.Change)
    if filters.status is not None:
        query = query.where(models.Change.status == filters.status.value)
    if filters.service:
        query = query.where(models.Change.service_key == filters.service)
    if filters.environment:
        query = query.where(models.Change.environment == filters.environment)
    if filters.flag:
        query = query.join(models.Flag, models.Flag.id == models.Change.flag_id).where(models.Flag.key == filters.flag)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(models.Change.requested_at.desc(), models.Change.id.desc()).limit(page.limit).offset(page.offset)
    ).all()
    policies: dict[tuple[str, str], list[str]] = {}
    items = []
    for row in rows:
        where = (row.service_key, row.environment)
        if where not in policies:
            policies[where] = [str(r) for r in catalog.get_environment(uow, *where).approval_roles]
        items.append(_change_out(uow, row, policies[where]))
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def can_decide(uow: UnitOfWork, change: Change) -> bool:
    """Whether the acting person may approve or reject this change (for showing the buttons)."""
    if change.status is not ChangeStatus.PENDING or not allowed(uow.actor, Permission.RELEASES_WRITE):
        return False
    same = change.requested_by == uow.actor.name
    return not same and (not change.approval_roles or uow.actor.role in change.approval_roles)


def _is_requester(uow: UnitOfWork, row: models.Change) -> bool:
    return row.requested_by_id == uow.actor.user_id and row.requested_by == uow.actor.name


def _require_decider(uow: UnitOfWork, row: models.Change, env: Environment, verb: str) -> None:
    if _is_requester(uow, row):
        raise PermissionDenied(f"you requested {row.key}: another person must {verb} it")
    require(uow.actor, Permission.RELEASES_WRITE)
    if env.needs_approval and uow.actor.role not in env.approval_roles:
        raise PermissionDenied(
            f"changes in {row.service_key}/{row.environment} are approved by {', '.join(env.approval_roles)}; "
            f"you are {uow.actor.role}"
        )


def _require_status(row: models.Change, status: ChangeStatus) -> None:
    if row.status != status.value:
        raise Conflict(f"change {row.key} is {row.status}, not {status.value}", rule="change-not-pending")


def _change_row(uow: UnitOfWork, change_key: str, *, lock: bool = False) -> models.Change:
    query = select(models.Change).where(models.Change.key == change_key.strip().upper())
    row = uow.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"no change {change_key!r}")
    return row


# --- applying ----------------------------------------------------------------------------------------


def _apply(uow: UnitOfWork, row: models.Change, *, approved_by: str | None) -> None:
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
    _bump(uow, row.service_id, [row.environment_id])
    uow.session.flush()


def _apply_flag(
    uow: UnitOfWork, row: models.Change, env: Environment, approved_by: str | None
) -> models.Release | None:
    flag = uow.session.get(models.Flag, row.flag_id)
    if flag is None or flag.archived_at is not None:
        raise ValidationFailed.on("flag", "the flag is archived")
    before, state = _current_config(uow, flag, env.id)
    after = _checked_config(uow, flag, env.id, changes.apply_patch(before, row.payload))
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
    return _record_release(
        uow,
        flag=flag,
        service_key=row.service_key,
        environment=env,
        before=before,
        after=after,
        kind=kind,
        summary=summary,
        requested_by=row.requested_by,
        approved_by=approved_by,
        change_key=row.key,
    )


def _apply_segment(
    uow: UnitOfWork, row: models.Change, env: Environment, approved_by: str | None
) -> models.Release | None:
    assert row.segment_key is not None
    segment = uow.session.scalar(
        select(models.Segment).where(models.Segment.environment_id == env.id, models.Segment.key == row.segment_key)
    )
    definition = {name: row.payload[name] for name in ("included", "excluded", "conditions")}
    previous = dict(segment.definition) if segment is not None else None
    now = uow.clock.now()
    if segment is None:
        segment = models.Segment(
            service_id=row.service_id,
            environment_id=env.id,
            key=row.segment_key,
            name=row.payload["name"],
            description=row.payload["description"],
            definition=definition,
            version=1,
            updated_at=now,
            updated_by=row.requested_by,
        )
        uow.session.add(segment)
    else:
        segment.name, segment.description, segment.definition = (
            row.payload["name"],
            row.payload["description"],
            definition,
        )
        segment.version += 1
        segment.updated_at, segment.updated_by = now, row.requested_by
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
    for flag, config in _flags_using_segment(uow, row.service_id, env.id, row.segment_key):
        if not config.get("enabled"):
            continue
        last = _record_release(
            uow,
            flag=flag,
            service_key=row.service_key,
            environment=env,
            before={"segment": row.segment_key, **(previous or {})},
            after={"segment": row.segment_key, **definition},
            kind="segment",
            summary=f"segment {row.segment_key} changed: {_segment_size(definition)}",
            requested_by=row.requested_by,
            approved_by=approved_by,
            change_key=row.key,
            exposure_before=changes.exposure(config),
        )
    return last


def _segment_size(definition: Mapping[str, Any]) -> str:
    parts = [f"{len(definition.get('included') or [])} included"]
    if definition.get("excluded"):
        parts.append(f"{len(definition['excluded'])} excluded")
    parts.append(f"{len(definition.get('conditions') or [])} conditions")
    return ", ".join(parts)


def _flags_using_segment(
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


def _record_release(
    uow: UnitOfWork,
    *,
    flag: models.Flag,
    service_key: str,
    environment: Environment,
    before: dict[str, Any],
    after: dict[str, Any],
    kind: str,
    summary: str,
    requested_by: str,
    approved_by: str | None,
    change_key: str | None,
    exposure_before: float | None = None,
    exposure_after: float | None = None,
) -> models.Release:
    if "enabled" in before and exposure_before is None:
        exposure_before = changes.exposure(before)
    if "enabled" in after and exposure_after is None:
        exposure_after = changes.exposure(after)
    if exposure_after is None:
        exposure_after = exposure_before
    row = models.Release(
        service_id=flag.service_id,
        environment_id=environment.id,
        flag_id=flag.id,
        service_key=service_key,
        environment=environment.name,
        flag_key=flag.key,
        feature_key=flag.feature_key,
        kind=kind,
        summary=summary,
        before=before,
        after=after,
        exposure_before=exposure_before,
        exposure_after=exposure_after,
        requested_by=requested_by,
        approved_by=approved_by,
        change_key=change_key,
        at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.emit(
        FlagReleased(
            release_id=row.id,
            service_key=service_key,
            environment=environment.name,
            flag_key=flag.key,
            feature_key=flag.feature_key,
            kind=kind,
            summary=summary,
            exposure_before=exposure_before,
            exposure_after=exposure_after,
            at=row.at,
        )
    )
    return row


def _bump(uow: UnitOfWork, service_id: int, environment_ids: Iterable[int]) -> None:
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


# --- segments ----------------------------------------------------------------------------------------


def list_segments(uow: UnitOfWork, service_key: str, environment: str) -> list[Segment]:
    require(uow.actor, Permission.READ)
    env = catalog.get_environment(uow, service_key, environment)
    rows = uow.session.scalars(
        select(models.Segment).where(models.Segment.environment_id == env.id).order_by(models.Segment.key)
    ).all()
    users: dict[str, list[str]] = {}
    for flag, state in uow.session.execute(
        select(models.Flag.key, models.FlagState.config)
        .join(models.FlagState, models.FlagState.flag_id == models.Flag.id)
        .where(models.FlagState.environment_id == env.id, models.Flag.archived_at.is_(None))
    ):
        for segment_key in evaluation.referenced_segments(state):
            users.setdefault(segment_key, []).append(flag)
    return [_segment_out(service_key, env.name, row, sorted(users.get(row.key, []))) for row in rows]


def delete_segment(uow: UnitOfWork, service_key: str, environment: str, segment_key: str) -> None:
    """Remove a segment no flag refers to (so nobody's variant changes)."""
    require(uow.actor, Permission.RELEASES_WRITE)
    env = catalog.get_environment(uow, service_key, environment)
    row = uow.session.scalar(
        select(models.Segment).where(models.Segment.environment_id == env.id, models.Segment.key == segment_key)
    )
    if row is None:
        raise NotFound(f"{service_key}/{environment} has no segment {segment_key!r}")
    users = [f.key for f, _ in _flags_using_segment(uow, row.service_id, env.id, segment_key)]
    if users:
        raise Conflict(f"segment {segment_key!r} is used by {', '.join(users)}", rule="segment-in-use")
    record_audit(uow, "segment.delete", "segment", f"{service_key}/{environment}/{segment_key}", before=row.definition)
    uow.session.delete(row)
    _bump(uow, row.service_id, [env.id])


def _segment_out(service_key: str, environment: str, row: models.Segment, used_by: list[str]) -> Segment:
    return Segment(
        key=row.key,
        service=service_key,
        environment=environment,
        name=row.name,
        description=row.description,
        included=row.definition.get("included", []),
        excluded=row.definition.get("excluded", []),
        conditions=row.definition.get("conditions", []),
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        used_by=used_by,
    )


# --- releases ----------------------------------------------------------------------------------------


def list_releases(uow: UnitOfWork, filters: ReleaseFilter, page: PageRequest) -> Page[Release]:
    """The release timeline, newest first."""
    require(uow.actor, Permission.READ)
    query = select(models.Release)
    if filters.service:
        query = query.where(models.Release.service_key == filters.service)
    if filters.environment:
        query = query.where(models.Release.environment == filters.environment)
    if filters.flag:
        query = query.where(models.Release.flag_key == filters.flag)
    if filters.feature:
        query = query.where(models.Release.feature_key == filters.feature)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.order_by(models.Release.at.desc(), models.Release.id.desc()).limit(page.limit).offset(page.offset)
    ).all()
    return Page(items=[_release_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


def _release_out(row: models.Release) -> Release:
    return Release(
        id=row.id,
        service=row.service_key,
        environment=row.environment,
        flag=row.flag_key,
        feature=row.feature_key,
        kind=row.kind,
        summary=row.summary,
        before=row.before,
        after=row.after,
        exposure_before=row.exposure_before,
        exposure_after=row.exposure_after,
        requested_by=row.requested_by,
        approved_by=row.approved_by,
        change=row.change_key,
        at=row.at,
    )


# --- client keys -------------------------------------------------------------------------------------------


def create_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str, name: str = "default"
) -> CreatedClientKey:
    """A new OFREP client key for one service environment; the secret is returned once."""
    require(uow.actor, Permission.RELEASES_WRITE)
    return _create_client_key(uow, digester, service_key, environment, name)


def _create_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str, name: str
) -> CreatedClientKey:
    env = catalog.get_environment(uow, service_key, environment)
    service_id = catalog.service_id(uow, service_key)
    secret = generate_secret(CLIENT_KEY_PREFIX)
    row = models.ClientKey(
        public_id=secret.public_id,
        service_id=service_id,
        environment_id=env.id,
        service_key=service_key,
        environment=env.name,
        name=name,
        digest=digester.digest(secret.full),
        created_at=uow.clock.now(),
        created_by=uow.actor.name,
    )
    uow.session.add(row)
    uow.session.flush()
    record_audit(
        uow,
        "client-key.create",
        "client-key",
        row.public_id,
        after={"name": name, "service": service_key, "environment": environment},
    )
    return CreatedClientKey(key=_client_key_out(row, service_key, environment), secret=secret.full)


def ensure_client_key(
    uow: UnitOfWork, digester: SecretDigester, service_key: str, environment: str
) -> CreatedClientKey | None:
    """For onboarding: a client key for the environment unless an active one exists (then None, since a
    secret is never shown twice). The platform team may call it (`platform:write`), as may releasers."""
    _require_provisioner(uow)
    env = catalog.get_environment(uow, service_key, environment)
    active = uow.session.scalar(
        select(models.ClientKey.id).where(
            models.ClientKey.environment_id == env.id, models.ClientKey.revoked_at.is_(None)
        )
    )
    if active is not None:
        return None
    return _create_client_key(uow, digester, service_key, environment, "default")


def _require_provisioner(uow: UnitOfWork) -> None:
    if not allowed(uow.actor, Permission.PLATFORM_WRITE):
        require(uow.actor, Permission.RELEASES_WRITE)


def ensure_client_keys(uow: UnitOfWork, digester: SecretDigester, service_key: str) -> dict[str, CreatedClientKey]:
    """A client key for every environment of the service that has none yet, by environment name."""
    _require_provisioner(uow)
    created = {}
    for env in catalog.list_environments(uow, service_key):
        made = ensure_client_key(uow, digester, service_key, env.name)
        if made is not None:
            created[env.name] = made
    return created


def list_client_keys(uow: UnitOfWork, service_key: str, environment: str | None = None) -> list[ClientKey]:
    require(uow.actor, Permission.READ)
    environments = {e.id: e.name for e in catalog.list_environments(uow, service_key)}
    query = select(models.ClientKey).where(models.ClientKey.environment_id.in_(list(environments)))
    if environment is not None:
        query = query.where(
            models.ClientKey.environment_id == catalog.get_environment(uow, service_key, environment).id
        )
    rows = uow.session.scalars(query.order_by(models.ClientKey.id)).all()
    return [_client_key_out(r, service_key, environments[r.environment_id]) for r in rows]


def revoke_client_key(uow: UnitOfWork, public_id: str) -> ClientKey:
    require(uow.actor, Permission.RELEASES_WRITE)
    row = uow.session.scalar(select(models.ClientKey).where(models.ClientKey.public_id == public_id))
    if row is None:
        raise NotFound(f"no client key {public_id!r}")
    service_key, environment = row.service_key, row.environment
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        record_audit(
            uow,
            "client-key.revoke",
            "client-key",
            row.public_id,
            after={"service": service_key, "environment": environment},
        )
        uow.emit(ClientKeyRevoked(public_id=row.public_id))
    return _client_key_out(row, service_key, environment)


def touch_client_key(uow: UnitOfWork, key_id: int) -> None:
    uow.session.execute(
        update(models.ClientKey).where(models.ClientKey.id == key_id).values(last_used_at=uow.clock.now())
    )


def _client_key_out(row: models.ClientKey, service_key: str, environment: str) -> ClientKey:
    return ClientKey(
        public_id=row.public_id,
        service=service_key,
        environment=environment,
        name=row.name,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


# --- evaluation counts and previews --------------------------------------------------------------------

CountKey = tuple[int, int, str]  # flag id, environment id, variant


def record_evaluations(uow: UnitOfWork, counts: Mapping[CountKey, int], hour: datetime) -> int:
    """Add in-memory evaluation counts to the hour's totals (one row per flag, environment, variant, hour)."""
    hour = hour.replace(minute=0, second=0, microsecond=0)
    written = 0
    for (flag_id, environment_id, variant), count in sorted(counts.items()):
        if count <= 0:
            continue
        if not _add_count(uow, (flag_id, environment_id, variant), hour, count):
            try:
                with uow.session.begin_nested():
                    uow.session.add(
                        models.EvaluationCount(
                            flag_id=flag_id, environment_id=environment_id, variant=variant, hour=hour, count=count
                        )
                    )
            except IntegrityError:  # a flag archived and purged, or another process inserted first
                if not uow.session.get(models.Flag, flag_id):
                    continue
                _add_count(uow, (flag_id, environment_id, variant), hour, count)
        written += count
    return written


def _add_count(uow: UnitOfWork, key: CountKey, hour: datetime, count: int) -> bool:
    flag_id, environment_id, variant = key
    result = cast(
        CursorResult[Any],
        uow.session.execute(
            update(models.EvaluationCount)
            .where(
                models.EvaluationCount.flag_id == flag_id,
                models.EvaluationCount.environment_id == environment_id,
                models.EvaluationCount.variant == variant,
                models.EvaluationCount.hour == hour,
            )
            .values(count=models.EvaluationCount.count + count)
        ),
    )
    return bool(result.rowcount)


def evaluation_counts(
    uow: UnitOfWork, service_key: str, flag_key: str, environment: str, *, hours: int = 24 * 7
) -> EvaluationCounts:
    require(uow.actor, Permission.READ)
    env = catalog.get_environment(uow, service_key, environment)
    flag = _flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    since = (uow.clock.now() - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    rows = uow.session.execute(
        select(models.EvaluationCount.hour, models.EvaluationCount.variant, models.EvaluationCount.count)
        .where(
            models.EvaluationCount.flag_id == flag.id,
            models.EvaluationCount.environment_id == env.id,
            models.EvaluationCount.hour >= since,
        )
        .order_by(models.EvaluationCount.hour, models.EvaluationCount.variant)
    ).all()
    totals: dict[str, int] = {}
    for _, variant, count in rows:
        totals[variant] = totals.get(variant, 0) + count
    return EvaluationCounts(
        flag=flag.key,
        environment=env.name,
        since=since,
        totals=[VariantCount(variant=v, count=c) for v, c in sorted(totals.items())],
        hours=[HourCount(hour=as_utc(h), variant=v, count=c) for h, v, c in rows],
    )


def preview(
    uow: UnitOfWork,
    service_key: str,
    flag_key: str,
    context: Mapping[str, Any],
    *,
    environment: str | None = None,
    draft: FlagConfig | None = None,
) -> list[PreviewResult]:
    """Which variant does this context get, in each environment (or with an unsaved draft)?"""
    require(uow.actor, Permission.READ)
    if draft is not None and environment is None:
        raise ValidationFailed.on("environment", "a draft is previewed in one environment: name it")
    flag = _flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    environments = catalog.list_environments(uow, service_key)
    if environment is not None:
        environments = [catalog.get_environment(uow, service_key, environment)]
    results = []
    for env in environments:
        stored, _ = _current_config(uow, flag, env.id)
        config = (
            _checked_config(uow, flag, env.id, draft.model_dump(mode="json", exclude_none=True)) if draft else stored
        )
        compiled = evaluation.CompiledFlag(
            key=flag.key,
            flag_type=flag.flag_type,
            variants=flag.variants,
            config=config,
            segments=_segments_of(uow, env.id),
        )
        outcome = compiled.evaluate(context)
        targeting_key = context.get(evaluation.TARGETING_KEY)
        results.append(
            PreviewResult(
                environment=env.name,
                variant=outcome.variant,
                value=compiled.value_of(outcome),
                reason=outcome.reason,
                error_code=outcome.error_code,
                error_details=outcome.error_details,
                rule=outcome.rule,
                bucket=evaluation.bucket(flag.key, targeting_key) if isinstance(targeting_key, str) else None,
                draft=draft is not None,
            )
        )
    return results


# --- helpers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StateView:
    config: dict[str, Any]
    version: int
    updated_at: datetime | None
    updated_by: str | None


def _flag_row(uow: UnitOfWork, service_id: int, flag_key: str) -> models.Flag:
    row = uow.session.scalar(
        select(models.Flag).where(models.Flag.service_id == service_id, models.Flag.key == flag_key)
    )
    if row is None:
        raise NotFound(f"no flag {flag_key!r} in this service")
    return row


def _refuse_archived(row: models.Flag) -> None:
    if row.archived_at is not None:
        raise Conflict(f"flag {row.key!r} is archived", rule="flag-archived")


def _current_config(
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


def _segments_of(uow: UnitOfWork, environment_id: int) -> dict[str, dict[str, Any]]:
    return {
        row.key: row.definition
        for row in uow.session.scalars(select(models.Segment).where(models.Segment.environment_id == environment_id))
    }


def _checked_config(uow: UnitOfWork, flag: models.Flag, environment_id: int, config: dict[str, Any]) -> dict[str, Any]:
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
    missing = sorted(evaluation.referenced_segments(canonical) - set(_segments_of(uow, environment_id)))
    if missing:
        raise ValidationFailed.on("rules", f"no segment {', '.join(missing)} in this environment")
    return canonical


def _checked_variants(flag_type: FlagType, variants: Mapping[str, Any] | None) -> dict[str, Any]:
    if variants is None:
        if flag_type is not FlagType.BOOLEAN:
            raise ValidationFailed.on("variants", f"a {flag_type} flag needs its variants (name -> value)")
        return {"on": True, "off": False}
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise ValidationFailed.on("variants", f"give between 2 and {MAX_VARIANTS} variants")
    checked = {}
    for name, value in variants.items():
        checked[name] = _checked_value(flag_type, name, value)
    return checked


def _checked_value(flag_type: FlagType, name: str, value: Any) -> Any:
    if not re.match(VARIANT_PATTERN, name):
        raise ValidationFailed.on(f"variants.{name}", "a variant name is letters, digits, '.', '_' or '-'")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    fits = {
        FlagType.BOOLEAN: isinstance(value, bool),
        FlagType.STRING: isinstance(value, str),
        FlagType.INTEGER: isinstance(value, int) and not isinstance(value, bool),
        FlagType.FLOAT: number,
        FlagType.OBJECT: isinstance(value, dict | list),
    }[flag_type]
    if not fits:
        raise ValidationFailed.on(f"variants.{name}", f"must be a {flag_type} value (got {type(value).__name__})")
    return float(value) if flag_type is FlagType.FLOAT else value


def _changed_variants(uow: UnitOfWork, row: models.Flag, variants: Mapping[str, Any]) -> dict[str, Any]:
    checked = _checked_variants(FlagType(row.flag_type), variants)
    for name, value in checked.items():
        if name in row.variants and row.variants[name] != value:
            raise ValidationFailed.on(
                f"variants.{name}", "a variant's value never changes (releases refer to it); add a new variant"
            )
    removed = set(row.variants) - set(checked)
    if removed:
        used = {row.default_variant, row.off_variant}
        for state in uow.session.scalars(select(models.FlagState).where(models.FlagState.flag_id == row.id)):
            used |= evaluation.referenced_variants(state.config)
        for change in uow.session.scalars(
            select(models.Change).where(models.Change.flag_id == row.id, models.Change.status.in_(OPEN_STATUSES))
        ):
            used |= _patch_variants(change.payload)
        in_use = sorted(removed & used)
        if in_use:
            raise Conflict(f"variant(s) {', '.join(in_use)} are still served or planned", rule="variant-in-use")
    return checked


def _patch_variants(patch: Mapping[str, Any]) -> set[str]:
    found = {str(patch["off_variant"])} if patch.get("off_variant") else set()
    serves = [patch["default"]] if patch.get("default") else []
    serves += [r["serve"] for r in patch.get("rules") or []]
    for serve in serves:
        found |= {str(s["variant"]) for s in serve.get("rollout") or []} | (
            {str(serve["variant"])} if serve.get("variant") else set()
        )
    return found


def _states_of(uow: UnitOfWork, flag_ids: list[int]) -> dict[int, dict[int, _StateView]]:
    states: dict[int, dict[int, _StateView]] = {}
    if not flag_ids:
        return states
    for row in uow.session.scalars(select(models.FlagState).where(models.FlagState.flag_id.in_(flag_ids))):
        states.setdefault(row.flag_id, {})[row.environment_id] = _StateView(
            dict(row.config), row.version, row.updated_at, row.updated_by
        )
    return states


def _flag_out(
    uow: UnitOfWork,
    service_key: str,
    environments: list[Environment],
    row: models.Flag,
    states: Mapping[int, _StateView] | None = None,
) -> Flag:
    if states is None:
        states = _states_of(uow, [row.id]).get(row.id, {})
    envs = []
    for env in environments:
        state = states.get(env.id)
        config = state.config if state else changes.default_config(row.default_variant, row.off_variant)
        envs.append(
            EnvironmentState(
                environment=env.name,
                position=env.position,
                approval_roles=[str(r) for r in env.approval_roles],
                config=FlagConfig.model_validate(config),
                version=state.version if state else 0,
                updated_at=state.updated_at if state else None,
                updated_by=state.updated_by if state else None,
                summary=changes.describe(config),
                exposure=changes.exposure(config),
            )
        )
    return Flag(
        id=row.id,
        service=service_key,
        key=row.key,
        name=row.name,
        description=row.description,
        type=FlagType(row.flag_type),
        variants=row.variants,
        default_variant=row.default_variant,
        off_variant=row.off_variant,
        feature=row.feature_key,
        created_at=row.created_at,
        created_by=row.created_by,
        archived_at=row.archived_at,
        environments=envs,
    )


def _flag_view(row: models.Flag) -> dict[str, Any]:
    return {
        "flag": row.key,
        "name": row.name,
        "type": row.flag_type,
        "variants": row.variants,
        "default_variant": row.default_variant,
        "off_variant": row.off_variant,
        "feature": row.feature_key,
    }


def _change_out(uow: UnitOfWork, row: models.Change, approval_roles: Sequence[str] | None = None) -> Change:
    if approval_roles is None:
        approval_roles = [str(r) for r in catalog.get_environment(uow, row.service_key, row.environment).approval_roles]
    flag_key = None
    if row.flag_id is not None:
        flag_key = uow.session.scalar(select(models.Flag.key).where(models.Flag.id == row.flag_id))
    return Change(
        key=row.key,
        service=row.service_key,
        environment=row.environment,
        subject=row.subject,
        flag=flag_key,
        segment=row.segment_key,
        change=row.payload,
        reason=row.reason,
        status=ChangeStatus(row.status),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        due_at=row.due_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        note=row.note,
        applied_at=row.applied_at,
        release_id=row.release_id,
        failure=row.failure,
        approval_roles=[str(r) for r in approval_roles],
        summary=_patch_summary(row),
    )


def _patch_summary(row: models.Change) -> str:
    payload = row.payload
    if row.subject == SEGMENT_SUBJECT:
        return f"segment {row.segment_key}: {_segment_size(payload)}"
    parts = []
    if "enabled" in payload:
        parts.append("turn on" if payload["enabled"] else "turn off")
    if payload.get("default"):
        parts.append(f"default {changes.describe_serve(payload['default'])}")
    if "rules" in payload:
        count = len(payload["rules"])
        parts.append(f"{count} targeting rule{'' if count == 1 else 's'}")
    if payload.get("off_variant"):
        parts.append(f"off variant {payload['off_variant']}")
    return ", ".join(parts)


def open_change_count(uow: UnitOfWork) -> int:
    require(uow.actor, Permission.READ)
    return uow.session.scalar(select(func.count(models.Change.id)).where(models.Change.status.in_(OPEN_STATUSES))) or 0


def _known_feature(uow: UnitOfWork, key: str | None) -> str | None:
    """The feature a flag releases must exist in the portfolio (NotFound otherwise)."""
    if key is None:
        return None
    return portfolio.get_feature(uow, key.upper()).key


# Last: the flag server reads client keys and counts through this module (the releases split breaks the cycle).
from digital_factory.releases.serving import FlagServer  # noqa: E402

__all__ = [
    "CHANGE_PREFIX",
    "CLIENT_KEY_PREFIX",
    "FLAG_SUBJECT",
    "OPEN_STATUSES",
    "SEGMENT_SUBJECT",
    "TOUCH_INTERVAL",
    "FlagServer",
    "apply_due_changes",
    "approve_change",
    "archive_flag",
    "can_decide",
    "cancel_change",
    "create_client_key",
    "create_flag",
    "delete_segment",
    "ensure_client_key",
    "ensure_client_keys",
    "evaluation_counts",
    "get_change",
    "get_flag",
    "kill_flag",
    "list_changes",
    "list_client_keys",
    "list_flags",
    "list_releases",
    "list_segments",
    "open_change_count",
    "preview",
    "put_segment",
    "record_evaluations",
    "reject_change",
    "request_change",
    "revoke_client_key",
    "touch_client_key",
    "update_flag",
]
