"""Telemetry retention as the server runs it: the settings' periods, pruned every so often."""

from __future__ import annotations

import logging

from digital_factory.settings import Settings
from digital_factory.store.uow import Store
from digital_factory.telemetry import service as telemetry

log = logging.getLogger(__name__)


def retention_of(settings: Settings) -> telemetry.Retention:
    return telemetry.Retention(
        points_days=settings.telemetry_points_days,
        minute_rollups_days=settings.telemetry_minute_rollups_days,
        hour_rollups_days=settings.telemetry_hour_rollups_days,
        day_rollups_days=settings.telemetry_day_rollups_days,
        logs_days=settings.telemetry_logs_days,
        logs_per_service=settings.telemetry_logs_per_service,
    )


def prune_telemetry(store: Store, settings: Settings) -> telemetry.Pruned:
    """One retention pass (the server's periodic job, and `factory telemetry prune`)."""
    pruned = telemetry.prune(store, retention_of(settings))
    if pruned.total:
        log.info(
            "telemetry retention deleted %d points, %d rollups, %d log lines in %d transactions",
            pruned.points,
            pruned.rollups,
            pruned.logs,
            pruned.transactions,
        )
    return pruned
