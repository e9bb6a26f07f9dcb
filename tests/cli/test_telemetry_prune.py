"""`factory telemetry prune`: retention run by hand on the store, with the server's settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from digital_factory.app.factory import Runtime
from digital_factory.cli.root import app
from digital_factory.core.actor import system_actor
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.points import MetricKind, Point
from tests.telemetry.builders import make_service, nanos, write

runner = CliRunner()


def test_prune_deletes_what_is_older_than_the_configured_retention(
    runtime: Runtime, tmp_path: Path, database_url: str
) -> None:
    service = make_service(runtime)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ages = (timedelta(days=9), timedelta(days=6), timedelta(hours=1))
    write(runtime, service, [Point("drone.flights", MetricKind.COUNTER, (), nanos(now - age), 1.0) for age in ages])
    env = {
        "FACTORY_HOME": str(tmp_path / "home"),
        "FACTORY_DATABASE_URL": database_url,
        "FACTORY_TELEMETRY_POINTS_DAYS": "7",
    }

    result = runner.invoke(app, ["telemetry", "prune"], env=env)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 1 points, 0 rollups and 0 log lines"
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        assert telemetry.evaluate(uow, "count(drone.flights[8d])", at=now + timedelta(minutes=1)).value == 2
        assert telemetry.evaluate(uow, "sum(drone.flights[10d])", at=now + timedelta(minutes=1)).value == 3


def test_prune_refuses_a_bad_retention_setting(tmp_path: Path, database_url: str) -> None:
    env = {
        "FACTORY_HOME": str(tmp_path / "home"),
        "FACTORY_DATABASE_URL": database_url,
        "FACTORY_TELEMETRY_POINTS_DAYS": "0",
    }
    result = runner.invoke(app, ["telemetry", "prune"], env=env)
    assert result.exit_code == 2
    assert "FACTORY_TELEMETRY_POINTS_DAYS" in result.output and "greater" in result.output
