"""Fixtures shared by the browser tests that walk the demo: its server and one Chromium per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import DemoServer, chromium_browser, chromium_or_skip, serve_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[DemoServer]:
    """The demo's story seeded into a copy of the migrated template store, served for the module."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copy(sqlite_template, root / "factory.db")
    with serve_demo(root / "home", f"sqlite:///{root / 'factory.db'}") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser(chromium_or_skip()) as opened:
        yield opened
