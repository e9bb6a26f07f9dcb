"""The server's retention job: the settings' periods, registered as a periodic job of the app."""

from __future__ import annotations

from dataclasses import replace

from digital_factory.app.factory import Runtime, create_app
from digital_factory.settings import Settings
from digital_factory.telemetry import service as telemetry
from digital_factory.workers.retention import prune_telemetry, retention_of


def test_the_settings_give_the_retention(settings: Settings) -> None:
    assert retention_of(settings) == telemetry.Retention()  # the defaults agree
    changed = settings.model_copy(
        update={"telemetry_points_days": 7, "telemetry_day_rollups_days": 3650, "telemetry_logs_per_service": 500}
    )
    assert retention_of(changed) == replace(
        telemetry.Retention(), points_days=7, day_rollups_days=3650, logs_per_service=500
    )


def test_the_app_prunes_periodically(settings: Settings, runtime: Runtime) -> None:
    create_app(settings, runtime=runtime)
    jobs = {job.name: job for job in runtime.jobs._periodic}
    assert jobs["telemetry-retention"].interval_seconds == settings.telemetry_prune_every_seconds == 3600
    jobs["telemetry-retention"].job()
    assert prune_telemetry(runtime.store, settings) == telemetry.Pruned(transactions=0)
