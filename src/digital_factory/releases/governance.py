"""Governed changes: requested, approved or rejected, cancelled, scheduled; the kill switch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import Environment
from digital_factory.core.clock import as_utc
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.schemas import copied, parse_input
from digital_factory.releases import changes, models
from digital_factory.releases.applying import apply_change
from digital_factory.releases.ownership import (
    decisions,
    require_canceller,
    require_decider,
    require_flag_owner,
    require_kill,
)
from digital_factory.releases.schemas import (
    Change,
    ChangeFilter,
    ChangeStatus,
    Decision,
    FlagChange,
    Kill,
    RolloutRequest,
    SegmentSpec,
)
from digital_factory.releases.state import (
    CHANGE_PREFIX,
    FLAG_SUBJECT,
    OPEN_STATUSES,
    SEGMENT_SUBJECT,
    checked_config,
    current_config,
    flag_row,
    refuse_archived,
    segment_size,
)
from digital_factory.store.paging import paginate
from digital_factory.store.sequences import next_key
from digital_factory.store.uow import UnitOfWork


def request_change(uow: UnitOfWork, service_key: str, flag_key: str, environment: str, data: FlagChange) -> Change:
    """Change a flag in one environment: applied now, scheduled, or pending approval (the policy decides)."""
    require_flag_owner(uow, service_key, f"the flags of {service_key}")
    env = catalog.get_environment(uow, service_key, environment)
    service_id = catalog.service_id(uow, service_key)
    flag = flag_row(uow, service_id, flag_key)
    refuse_archived(flag)
    current, _ = current_config(uow, flag, env.id)
    checked_config(uow, flag, env.id, changes.apply_patch(current, data.patch()))
    row = _new_change(uow, service_id, env, at=data.at, reason=data.reason, subject=FLAG_SUBJECT, payload=data.patch())
    row.flag_id = flag.id
    return _submit(uow, row, env, f"{service_key}/{flag.key}")


def roll_out(uow: UnitOfWork, service_key: str, flag_key: str, environment: str, data: RolloutRequest) -> Change:
    """Roll a variant out to `percent` % of targeting keys in one environment, everyone else getting the off
    variant, and turn the flag on: a change like any other (applied, or waiting where the policy asks)."""
    require_flag_owner(uow, service_key, f"the flags of {service_key}")
    flag = flag_row(uow, catalog.service_id(uow, service_key), flag_key)
    target = data.variant or flag.default_variant
    splits = [{"variant": target, "percent": data.percent}]
    if data.percent < 100 and flag.off_variant != target:
        splits.append({"variant": flag.off_variant, "percent": round(100 - data.percent, 2)})
    reason = data.reason or f"roll out {target} to {data.percent:g}%"
    change = parse_input(FlagChange, {"enabled": True, "default": {"rollout": splits}, "reason": reason})
    return request_change(uow, service_key, flag_key, environment, change)


def kill_flag(uow: UnitOfWork, service_key: str, flag_key: str, environment: str, data: Kill) -> Change:
    """The kill switch: off at once. Where changes need approval, only the service's owners who could
    approve (or admin) may pull it without waiting: an emergency stop must not wait for a second person."""
    env = catalog.get_environment(uow, service_key, environment)
    require_kill(uow, env, flag_key)
    service_id = catalog.service_id(uow, service_key)
    flag = flag_row(uow, service_id, flag_key)
    refuse_archived(flag)
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
    apply_change(uow, row, approved_by=None)
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
    require_flag_owner(uow, service_key, f"the segments of {service_key}")
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
        apply_change(uow, row, approved_by=None)
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
    """Another person, entitled to approve for the service and holding one of the environment's approval
    roles, approves; the change then applies (or waits for its scheduled time)."""
    row = _change_row(uow, change_key, lock=True)
    env = catalog.get_environment(uow, row.service_key, row.environment)
    require_decider(uow, row, env, "approve")
    _require_status(row, ChangeStatus.PENDING)
    now = uow.clock.now()
    row.decided_by_id, row.decided_by, row.decided_at = uow.actor.user_id, uow.actor.name, now
    row.note = data.note if data else ""
    record_audit(uow, "change.approve", "change", row.key, after={"note": row.note, "environment": row.environment})
    if row.due_at is not None and as_utc(row.due_at) > now:
        row.status = ChangeStatus.SCHEDULED.value
    else:
        try:
            apply_change(uow, row, approved_by=uow.actor.name)
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
    require_decider(uow, row, env, "reject")
    _require_status(row, ChangeStatus.PENDING)
    row.status = ChangeStatus.REJECTED.value
    row.decided_by_id, row.decided_by, row.decided_at = uow.actor.user_id, uow.actor.name, uow.clock.now()
    row.note = data.note if data else ""
    record_audit(uow, "change.reject", "change", row.key, after={"note": row.note, "environment": row.environment})
    uow.session.flush()
    return _change_out(uow, row, env.approval_roles)


def cancel_change(uow: UnitOfWork, change_key: str) -> Change:
    """The requester withdraws a pending or scheduled change; so may anyone who could approve it (or, where
    changes need no approval, change the service's flags)."""
    require(uow.actor, Permission.RELEASES_WRITE)
    row = _change_row(uow, change_key, lock=True)
    env = catalog.get_environment(uow, row.service_key, row.environment)
    require_canceller(uow, row, env)
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
                apply_change(uow, row, approved_by=row.decided_by)
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
    for column, value in (
        (models.Change.status, filters.status.value if filters.status is not None else None),
        (models.Change.service_key, filters.service),
        (models.Change.environment, filters.environment),
    ):
        if value:
            query = query.where(column == value)
    if filters.flag:
        query = query.join(models.Flag, models.Flag.id == models.Change.flag_id).where(models.Flag.key == filters.flag)
    return paginate(
        uow.session,
        query,
        page,
        partial(_changes_out, uow),
        order_by=(models.Change.requested_at.desc(), models.Change.id.desc()),
    )


def _changes_out(uow: UnitOfWork, rows: Sequence[models.Change]) -> list[Change]:
    """One page of changes, each environment's approval policy read once."""
    policies: dict[tuple[str, str], list[str]] = {}
    items = []
    for row in rows:
        where = (row.service_key, row.environment)
        if where not in policies:
            policies[where] = [str(r) for r in catalog.get_environment(uow, *where).approval_roles]
        items.append(_change_out(uow, row, policies[where]))
    return items


def can_decide(uow: UnitOfWork, change: Change) -> bool:
    """Whether the acting person may approve or reject this change (for showing the buttons)."""
    return decisions(uow, [change]).get(change.key) == ""


def _require_status(row: models.Change, status: ChangeStatus) -> None:
    if row.status != status.value:
        raise Conflict(f"change {row.key} is {row.status}, not {status.value}", rule="change-not-pending")


def _change_row(uow: UnitOfWork, change_key: str, *, lock: bool = False) -> models.Change:
    query = select(models.Change).where(models.Change.key == change_key.strip().upper())
    row = uow.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(f"no change {change_key!r}")
    return row


def _change_out(uow: UnitOfWork, row: models.Change, approval_roles: Sequence[str] | None = None) -> Change:
    if approval_roles is None:
        approval_roles = [str(r) for r in catalog.get_environment(uow, row.service_key, row.environment).approval_roles]
    flag_key = None
    if row.flag_id is not None:
        flag_key = uow.session.scalar(select(models.Flag.key).where(models.Flag.id == row.flag_id))
    return copied(
        Change,
        row,
        {"service": "service_key", "segment": "segment_key", "change": "payload"},
        flag=flag_key,
        approval_roles=[str(r) for r in approval_roles],
        summary=_patch_summary(row),
    )


def _patch_summary(row: models.Change) -> str:
    payload = row.payload
    if row.subject == SEGMENT_SUBJECT:
        return f"segment {row.segment_key}: {segment_size(payload)}"
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
