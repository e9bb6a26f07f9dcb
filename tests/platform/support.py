"""Helpers for platform tests: onboarding through the service, git commands as a user would run them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

from digital_factory.app.factory import Runtime, prepare_platform
from digital_factory.core.actor import Actor
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import OnboardingRequest, OnboardingResult, StepStatus
from tests.factories import ensure_work

Progress = list[tuple[str, StepStatus, str]]


def onboard(runtime: Runtime, actor: Actor, *, progress: Progress | None = None, **fields: object) -> OnboardingResult:
    """Onboard through the service, in one unit of work, as the runner does."""
    prepare_platform(runtime)
    values: dict[str, object] = {
        "team_key": "engines",
        "team_name": "Engines",
        "service_key": "engine-control",
        "service_name": "Engine control",
        **fields,
    }
    data = OnboardingRequest.model_validate(values)
    for work_key in (data.feature_key, data.epic_key):
        if work_key and not work_key.startswith("NOPE"):
            ensure_work(runtime, work_key)
    seen = progress if progress is not None else []
    with runtime.store.unit_of_work(actor) as uow:
        return platform.onboard(
            uow, runtime.platform, data, lambda *step: seen.append(step), job_id=f"test-{data.service_key}"
        )


def git(
    *args: str, cwd: Path | None = None, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The git CLI as a developer runs it: no stored credentials, no prompts, an identity."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or Path.cwd()),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Erin Engines",
        "GIT_AUTHOR_EMAIL": "erin@example.com",
        "GIT_COMMITTER_NAME": "Erin Engines",
        "GIT_COMMITTER_EMAIL": "erin@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=check, timeout=60
    )


def with_token(url: str, token: str, username: str = "git") -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{quote(username)}:{quote(token)}@{parts.netloc}{parts.path}"
