"""`factory report board` against a real server: the HTML pack, the PDF through Chromium, a bad period."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from digital_factory.accounts.schemas import Role
from digital_factory.cli.report import find_chromium
from digital_factory.cli.root import app
from tests.browser import LiveServer
from tests.factories import MadeUser, make_user
from tests.insights.boardpack_data import portfolio_for_q4

EXTERNAL = re.compile(r"""(https?:|//[a-z0-9]|["'(=]\s*/static/|\bsrc=|<link\b|@import)""", re.IGNORECASE)


def factory(server: LiveServer, user: MadeUser, *args: str) -> tuple[int, str]:
    env = {"FACTORY_URL": server.url, "FACTORY_TOKEN": user.token, "COLUMNS": "220"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_report_board_writes_the_pack_and_its_pdf(live_server: LiveServer, chromium: Path, tmp_path: Path) -> None:
    keys = portfolio_for_q4(live_server.runtime)
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)

    target = tmp_path / "pack.html"
    code, out = factory(live_server, viewer, "report", "board", "--period", "2026-Q4", "--output", str(target))
    assert code == 0, out
    html = target.read_text(encoding="utf-8")
    assert "<h1>Board pack 2026-Q4</h1>" in html
    assert all(f'data-epic="{key}"' in html for key in keys.values())
    assert re.findall(r'data-decision="([^"]+)"', html) == [keys["overdue"], keys["due"]]
    assert EXTERNAL.search(html) is None

    pdf = tmp_path / "pack.pdf"
    code, out = factory(
        live_server,
        viewer,
        "report",
        "board",
        "--period",
        "2026-Q4",
        "--pdf",
        "--output",
        str(pdf),
        "--chromium",
        str(chromium),
    )
    assert code == 0, out
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 1000


def test_a_bad_period_fails_with_a_clear_message(live_server: LiveServer, tmp_path: Path) -> None:
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)
    target = tmp_path / "pack.html"
    code, out = factory(live_server, viewer, "report", "board", "--period", "2026-Q5", "--output", str(target))
    assert code == 2 and "period" in out and "2026-Q4" in out and "Traceback" not in out, out
    assert not target.exists()


def test_a_missing_chromium_is_named(live_server: LiveServer, tmp_path: Path) -> None:
    viewer = make_user(live_server.runtime, "vic", Role.VIEWER)
    missing = tmp_path / "no-chromium"
    code, out = factory(live_server, viewer, "report", "board", "--period", "2026", "--pdf", "--chromium", str(missing))
    assert code == 1 and "no Chromium at" in out, out


def test_no_chromium_on_path_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no browser on it
    with pytest.raises(typer.Exit) as stopped:
        find_chromium(None)
    assert stopped.value.exit_code == 1
