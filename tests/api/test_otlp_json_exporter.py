"""The OpenTelemetry SDK's own OTLP/HTTP JSON exporter against a real server: what it sends twice (gzip on)
is queryable exactly once.

`opentelemetry-exporter-otlp-json-http` (0.66b1) pins a common package older than the one the protobuf
exporter of the product's test dependencies needs, so it runs in a virtualenv of its own, made once in the
repository's .pytest_cache from PyPI; where PyPI can't be reached the test skips (fails under
FACTORY_TEST_REQUIRE_ALL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_otlp_sdk import _assert_sent_once
from tests.browser import LiveServer
from tests.systemparts import require_all

PACKAGES = ["opentelemetry-sdk==1.45.2", "opentelemetry-exporter-otlp-json-http==0.66b1"]
VENV = Path(__file__).resolve().parents[2] / ".pytest_cache" / "otlp-json-exporter"
SENDER = Path(__file__).with_name("otlp_json_sender.py")


@pytest.fixture(scope="session")
def json_exporter_python() -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / ("installed-" + "-".join(p.replace("==", "_") for p in PACKAGES))
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=300)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if installed.returncode != 0:
            reason = f"cannot install the OTLP/JSON exporter from PyPI: {installed.stderr.strip()[-300:]}"
            if require_all():
                pytest.fail(reason)
            pytest.skip(reason)
        marker.touch()
    return python


def test_the_sdk_json_exporter_with_gzip_sends_twice_and_the_values_count_once(
    live_server: LiveServer, ingestion_key: str, query: Any, json_exporter_python: Path
) -> None:
    sent = subprocess.run(
        [str(json_exporter_python), str(SENDER), live_server.url, ingestion_key],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sent.returncode == 0, sent.stderr
    _assert_sent_once(query)
