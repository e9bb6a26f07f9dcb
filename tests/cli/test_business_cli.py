"""`factory business …` against a live server through the REST API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import make_user
from tests.telemetry.builders import make_service

runner = CliRunner()
AT = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()


@pytest.fixture
def admin(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    make_service(live_server.runtime, "fleet-api")
    monkeypatch.setenv("FACTORY_TOKEN", make_user(live_server.runtime, "ada", Role.ADMIN).token)
    monkeypatch.setenv("FACTORY_URL", live_server.url)
    monkeypatch.setenv("COLUMNS", "200")


def factory(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.usefixtures("admin")
def test_record_each_kind_and_read_the_summary_and_feedback() -> None:
    service = ("fleet-api", "--at", AT)
    code, out = factory("business", "record", "units-sold", *service, "--count", "3", "--attr", "product=heavy-lift")
    assert (code, out.strip()) == (0, "recorded")
    code, out = factory("business", "record", "units-sold", *service, "--count", "3", "--attr", "product=heavy-lift")
    assert (code, out.strip()) == (0, "already recorded (not counted twice)")
    assert factory("business", "record", "revenue", *service, "--amount", "250", "--currency", "EUR")[0] == 0
    assert factory("business", "record", "csat", *service, "--score", "5", "--feedback", "Quiet rotors")[0] == 0
    assert factory("business", "record", "nps", *service, "--score", "9", "--id", "a")[0] == 0
    assert factory("business", "record", "nps", *service, "--score", "3", "--id", "b")[0] == 0
    assert factory("business", "record", "custom", *service, "drone.orders", "--value", "2")[0] == 0
    code, out = factory("business", "record", "csat", *service, "--score", "7")
    assert code != 0 and "score: must be a whole number from 1 to 5" in out and "Traceback" not in out
    code, out = factory("business", "summary", "fleet-api")
    assert code == 0, out
    assert "units sold" in out and "│ 3 " in out
    assert "250.00 EUR" in out
    assert "100.0 % (1 responses)" in out
    assert "+0.0 (2 responses)" in out
    code, out = factory("business", "feedback", "fleet-api")
    assert code == 0 and "Quiet rotors" in out and "csat" in out


@pytest.mark.usefixtures("admin")
def test_upload_prints_counts_or_every_bad_row(tmp_path: Path) -> None:
    good = tmp_path / "sales.csv"
    good.write_text(
        f"kind,service,at,count,attr.market\nunits_sold,fleet-api,{AT},2,ch\nunits_sold,fleet-api,{AT},4,de\n"
    )
    code, out = factory("business", "upload", str(good), "--idempotency-key", "sales-1")
    assert (code, out.strip()) == (0, "2 events: 2 recorded, 0 already recorded")
    code, out = factory("business", "upload", str(good), "--idempotency-key", "sales-1")
    assert (code, out.strip()) == (0, "2 events: 2 recorded, 0 already recorded")
    lines = tmp_path / "answers.data"
    lines.write_text(
        "\n".join(
            json.dumps(item)
            for item in (
                {"kind": "nps", "service": "fleet-api", "score": 11},
                {"kind": "nps", "service": "fleet-api", "score": 9},
                {"kind": "units_sold", "service": "elsewhere", "count": 1},
            )
        )
    )
    code, out = factory("business", "upload", str(lines))
    assert code == 2 and "--format csv or --format jsonl" in out
    code, out = factory("business", "upload", str(lines), "--format", "jsonl")
    assert code != 0
    assert "row 1: score: must be a whole number from 0 to 10" in out
    assert "row 3: service: no service with the key 'elsewhere'" in out
    assert "nothing was stored" in out
