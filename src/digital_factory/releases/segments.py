"""Segments: named groups of targeting keys or conditions, per environment."""

from __future__ import annotations

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import record_audit, require
from digital_factory.catalog import service as catalog
from digital_factory.core.errors import Conflict, NotFound
from digital_factory.core.schemas import copied
from digital_factory.releases import evaluation, models
from digital_factory.releases.ownership import require_flag_owner
from digital_factory.releases.schemas import Segment
from digital_factory.releases.state import bump, flags_using_segment
from digital_factory.store.uow import UnitOfWork


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
    require_flag_owner(uow, service_key, f"the segments of {service_key}")
    env = catalog.get_environment(uow, service_key, environment)
    row = uow.session.scalar(
        select(models.Segment).where(models.Segment.environment_id == env.id, models.Segment.key == segment_key)
    )
    if row is None:
        raise NotFound(f"{service_key}/{environment} has no segment {segment_key!r}")
    users = [f.key for f, _ in flags_using_segment(uow, row.service_id, env.id, segment_key)]
    if users:
        raise Conflict(f"segment {segment_key!r} is used by {', '.join(users)}", rule="segment-in-use")
    record_audit(uow, "segment.delete", "segment", f"{service_key}/{environment}/{segment_key}", before=row.definition)
    uow.session.delete(row)
    bump(uow, row.service_id, [env.id])


def _segment_out(service_key: str, environment: str, row: models.Segment, used_by: list[str]) -> Segment:
    definition = row.definition
    return copied(
        Segment,
        row,
        service=service_key,
        environment=environment,
        included=definition.get("included", []),
        excluded=definition.get("excluded", []),
        conditions=definition.get("conditions", []),
        used_by=used_by,
    )
