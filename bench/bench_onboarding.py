"""Onboarding (render in the sandbox, hosted repository with its first commit, registration) beside a
plain `copier copy` + `git init/add/commit` of the same template in the same run; and the time from
the start of onboarding to the first push being published (what starts the first pipeline run)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import copier

from bench.harness import Result
from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, UserCreate
from digital_factory.app.factory import Runtime, build_runtime, prepare_platform, prepare_store
from digital_factory.core.actor import Origin, system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter, Status
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import OnboardingRequest
from digital_factory.repos import git
from digital_factory.repos.events import PushReceived
from digital_factory.settings import Settings

ROUNDS = 5


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), secret_key="bench-secret-key")  # noqa: S106
        runtime = build_runtime(settings)
        prepare_store(runtime)
        prepare_platform(runtime)
        with runtime.store.unit_of_work(system_actor("bench")) as uow:
            created = accounts.create_user(
                uow,
                UserCreate(username="pia", role=Role.PLATFORM, password="bench password"),  # noqa: S106
            )
        actor = accounts.actor_for(created.user, origin=Origin.CLI)
        published: list[float] = []
        runtime.store.bus.subscribe(PushReceived, lambda _e: published.append(time.perf_counter()))
        template_dir = runtime.platform.template_dir("python-service")

        plain, onboarding, to_push, plain_green, to_green = [], [], [], [], []
        for round_ in range(ROUNDS + 1):
            started = time.perf_counter()
            destination = Path(home) / f"plain-{round_}"
            copier.run_copy(
                str(template_dir),
                destination,
                data={"service_key": f"plain-{round_}", "service_name": "Plain", "team_key": "t"},
                vcs_ref="v1.0.0",
                defaults=True,
                quiet=True,
            )
            git.run(["init", "--quiet", "--initial-branch=main"], cwd=destination)
            git.commit_all(destination, "scaffold")
            baseline = time.perf_counter() - started
            _run_pipeline_by_hand(destination)
            baseline_green = time.perf_counter() - started

            started = time.perf_counter()
            data = OnboardingRequest(
                team_key=f"team-{round_}", team_name=f"Team {round_}", service_key=f"svc-{round_}", service_name="Svc"
            )
            with runtime.store.unit_of_work(actor) as uow:
                platform.onboard(uow, runtime.platform, data, lambda *_: None, job_id=f"bench-{round_}")
            elapsed = time.perf_counter() - started
            _wait_until_green(runtime, f"svc-{round_}")
            green = time.perf_counter() - started
            if round_:  # the first round warms caches
                plain.append(baseline)
                onboarding.append(elapsed)
                to_push.append(published[-1] - started)
                plain_green.append(baseline_green)
                to_green.append(green)
        runtime.store.dispose()
    sandboxed = subprocess.run(["test", "-x", "/usr/bin/bwrap"], check=False).returncode == 0
    where = "bubblewrap" if sandboxed else "no sandbox"
    return [
        Result(
            f"onboarding: render ({where}) + repository + registration",
            _median(onboarding) * 1000,
            "ms",
            "copier copy + git init/commit, in process",
            _median(plain) * 1000,
            higher_is_better=False,
        ),
        Result(
            "onboarding start to first push published (starts the first pipeline run)",
            _median(to_push) * 1000,
            "ms",
            "copier copy + git init/commit, in process",
            _median(plain) * 1000,
            higher_is_better=False,
        ),
        Result(
            "onboarding start to first green pipeline run (build, test, dev, staging; prod awaits approval)",
            _median(to_green) * 1000,
            "ms",
            "copier copy + git init/commit + the same pipeline commands run by hand",
            _median(plain_green) * 1000,
            higher_is_better=False,
        ),
    ]


PIPELINE_BY_HAND = (
    [sys.executable, "-m", "compileall", "-q", "src", "tests"],
    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
    ["echo", "deploying to dev"],
    ["echo", "deploying to staging"],
)


def _run_pipeline_by_hand(workdir: Path) -> None:
    for command in PIPELINE_BY_HAND:
        subprocess.run(command, cwd=workdir, check=True, capture_output=True)


def _wait_until_green(runtime: Runtime, service: str, timeout: float = 120.0) -> None:
    """Until the service's first run has passed everything up to the prod approval."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.store.unit_of_work(system_actor("bench"), write=False) as uow:
            runs = delivery.list_runs(uow, RunFilter(service=service), PageRequest(limit=1)).items
        if runs and runs[0].status in {Status.WAITING, Status.PASSED}:
            return
        if runs and runs[0].status.finished:
            raise RuntimeError(f"the first run of {service} ended {runs[0].status}")
        time.sleep(0.02)
    raise RuntimeError(f"the first run of {service} did not turn green in {timeout} s")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
