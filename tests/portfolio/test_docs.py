"""The examples in docs/portfolio.md work as written."""

from __future__ import annotations

import re
from pathlib import Path

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import ImportFormat, ThemeCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.factories import actor_of, make_user
from tests.portfolio.builders import epic

DOC = (Path(__file__).resolve().parents[2] / "docs" / "portfolio.md").read_text()


def _block(language: str) -> str:
    """The documented import example in `language` (the block that mentions epics)."""
    blocks = [b for b in re.findall(rf"```{language}\n(.*?)```", DOC, re.S) if "epic" in b]
    assert blocks, f"no {language} import example in docs/portfolio.md"
    return str(blocks[-1])


def test_the_documented_import_examples_import(runtime: Runtime) -> None:
    make_user(runtime, "pm", Role.ADMIN)
    make_user(runtime, "pia", Role.PLATFORM)
    admin = actor_of(runtime, "pm")
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))
    with runtime.store.unit_of_work(admin) as uow:
        portfolio.create_theme(uow, ThemeCreate(objective="Grow heavy lift"))
    for n in range(4):
        epic(runtime, admin, f"Existing {n}")
    for fmt, language in ((ImportFormat.CSV, "csv"), (ImportFormat.JSON, "json")):
        with runtime.store.unit_of_work(admin) as uow:
            report = portfolio.import_items(uow, _block(language), fmt, dry_run=True)
        assert report.ok, (language, report.errors)
        assert report.epics == 1 and report.features == 2, language
