"""Evaluation counts: the flag servers' in-memory tallies, stored per flag, environment, variant, hour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.clock import as_utc
from digital_factory.releases import models
from digital_factory.releases.schemas import (
    EvaluationCounts,
    HourCount,
    VariantCount,
)
from digital_factory.releases.state import flag_row
from digital_factory.store.uow import UnitOfWork

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
    flag = flag_row(uow, catalog.service_id(uow, service_key), flag_key)
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
