"""Which system parts the suite can use here: PostgreSQL, Redis, Chromium.

A missing part skips only the tests that need it, with a clear reason, unless FACTORY_TEST_REQUIRE_ALL
is set (CI): then a missing part fails the run instead of silently skipping.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = Path(os.environ.get("FACTORY_TEST_CHROMIUM", "/usr/bin/chromium"))


def postgres_url() -> str | None:
    return os.environ.get("FACTORY_TEST_DATABASE_URL") or None


def redis_url() -> str | None:
    return os.environ.get("FACTORY_TEST_REDIS_URL") or None


def chromium_path() -> Path | None:
    return CHROMIUM if CHROMIUM.exists() and shutil.which(str(CHROMIUM)) else None


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require_all() -> bool:
    return os.environ.get("FACTORY_TEST_REQUIRE_ALL", "") not in {"", "0", "false"}


def status() -> dict[str, str | None]:
    chromium = chromium_path()
    return {
        "PostgreSQL (FACTORY_TEST_DATABASE_URL)": postgres_url(),
        "Redis (FACTORY_TEST_REDIS_URL)": redis_url(),
        "Chromium": str(chromium) if chromium else None,
        "bubblewrap (pipeline sandbox)": bwrap_path(),
    }
