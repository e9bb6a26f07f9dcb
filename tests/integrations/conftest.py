"""Integrations test setup: GitHub's webhook examples (npm `@octokit/webhooks-examples`), installed once into
the repository's .pytest_cache when absent; without npm the tests that need them skip (fail under
FACTORY_TEST_REQUIRE_ALL)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.systemparts import require_all

OCTOKIT = "@octokit/webhooks-examples@7.6.1"
CACHE = Path(__file__).resolve().parents[2] / ".pytest_cache" / "octokit"
INDEX = CACHE / "node_modules" / "@octokit" / "webhooks-examples" / "api.github.com" / "index.json"


@pytest.fixture(scope="session")
def github_examples() -> dict[str, list[dict[str, Any]]]:
    """Every example payload by event name (push, pull_request, workflow_run, ...)."""
    if not INDEX.exists():
        npm = shutil.which("npm")
        if npm is None:
            reason = f"npm is not installed: cannot install {OCTOKIT} (apt-get install nodejs npm)"
            if require_all():
                pytest.fail(reason)
            pytest.skip(reason)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), OCTOKIT],
            check=True,
            capture_output=True,
            timeout=600,
        )
    events = json.loads(INDEX.read_text())
    return {event["name"]: event["examples"] for event in events}
