"""The release timeline: every applied change that altered what customers get."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.core.schemas import copied
from digital_factory.releases import models
from digital_factory.releases.schemas import (
    Release,
    ReleaseFilter,
)
from digital_factory.store.paging import paginate
from digital_factory.store.uow import UnitOfWork

# the DTO's names for the row's columns where they differ
_RENAMED = {"service": "service_key", "flag": "flag_key", "feature": "feature_key", "change": "change_key"}


def list_releases(uow: UnitOfWork, filters: ReleaseFilter, page: PageRequest) -> Page[Release]:
    """The release timeline, newest first."""
    require(uow.actor, Permission.READ)
    query = select(models.Release)
    for column, value in (
        (models.Release.service_key, filters.service),
        (models.Release.environment, filters.environment),
        (models.Release.flag_key, filters.flag),
        (models.Release.feature_key, filters.feature),
    ):
        if value:
            query = query.where(column == value)
    return paginate(
        uow.session,
        query,
        page,
        _releases_out,
        order_by=(models.Release.at.desc(), models.Release.id.desc()),
    )


def _releases_out(rows: Sequence[models.Release]) -> list[Release]:
    return [copied(Release, row, _RENAMED) for row in rows]
