"""The release timeline: every applied change that altered what customers get."""

from __future__ import annotations

from sqlalchemy import func, select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.releases import models
from digital_factory.releases.schemas import (
    Release,
    ReleaseFilter,
)
from digital_factory.store.uow import UnitOfWork


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
