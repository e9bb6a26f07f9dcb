"""Demo: flight-control ships through a real pipeline (build, test, deploy to dev, staging, prod).

The flight software team pushes an altitude-hold feature; the pipeline builds and tests it in the sandbox
and deploys it to dev and staging automatically; prod waits until someone the flight team named as a prod
approver (the power systems team, Erin from engines) approves. A drift incident follows, a fix that names it
ships, and the incident is resolved: the fix counts as rework.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from digital_factory.accounts.schemas import Role
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.errors import NotFound
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DecisionRequest, IncidentCreate, IncidentResolve, Run, RunRequest, Status
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

if TYPE_CHECKING:
    from digital_factory.demo.story import DemoContext

SERVICE = "flight-control"
RUN_TIMEOUT_SECONDS = 180
PROD_APPROVERS = ["team:power-systems", "engines"]

PIPELINE = """\
version: 1
variables:
  APP_NAME: flight-control
stages:
  - name: build
    steps:
      - name: package
        run: |
          python -m compileall -q src
          mkdir -p dist
          tar -czf dist/flight-control.tar.gz src
          echo "built $APP_NAME $FACTORY_VERSION"
        artifacts: [dist/]
  - name: test
    steps:
      - name: unit
        timeout: 5m
        run: |
          if python -c "import pytest" 2>/dev/null; then python -m pytest -q tests
          else python -m unittest discover -s tests -v; fi
  - name: deploy-dev
    environment: dev
    steps:
      - name: deploy
        run: tar -tzf dist/flight-control.tar.gz >/dev/null && echo "$APP_NAME $FACTORY_VERSION is live in dev"
  - name: deploy-staging
    environment: staging
    steps:
      - name: deploy
        run: tar -tzf dist/flight-control.tar.gz >/dev/null && echo "$APP_NAME $FACTORY_VERSION is live in staging"
  - name: deploy-prod
    environment: prod
    steps:
      - name: deploy
        run: tar -tzf dist/flight-control.tar.gz >/dev/null && echo "$APP_NAME $FACTORY_VERSION is live in prod"
"""

CONTROLLER = '''"""Flight control: keeps the drone at the altitude it is told."""


def altitude_hold(target: float, current: float, gain: float = {gain}) -> float:
    """Climb rate in m/s towards `target`, limited to +-2 m/s."""
    return max(-2.0, min(2.0, (target - current) * gain))
'''

TESTS = """import sys
import unittest

sys.path.insert(0, "src")

from flight_control import altitude_hold  # noqa: E402


class AltitudeHold(unittest.TestCase):
    def test_climbs_towards_the_target(self):
        self.assertGreater(altitude_hold(120, 100), 0)

    def test_holds_at_the_target(self):
        self.assertEqual(altitude_hold(100, 100), 0)

    def test_never_climbs_faster_than_two_metres_a_second(self):
        self.assertEqual(altitude_hold(1000, 0), 2.0)
"""

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Fiona Flight-Software",
    "GIT_AUTHOR_EMAIL": "flight@drones.example",
    "GIT_COMMITTER_NAME": "Fiona Flight-Software",
    "GIT_COMMITTER_EMAIL": "flight@drones.example",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_IDENTITY, check=True, capture_output=True, timeout=60)  # noqa: S603, S607


def _commit(work: Path, files: dict[str, str], message: str) -> None:
    for name, content in files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", message, cwd=work)
    _git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)


def _wait(ctx: DemoContext, run_id: int, *, until: Status) -> Run:
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while True:
        with ctx.runtime.store.unit_of_work(ctx.actor("flight"), write=False) as uow:
            run = delivery.get_run(uow, run_id)
        if run.status == until or run.status.finished:
            if run.status != until:
                raise RuntimeError(f"demo run {run_id} ended {run.status}: {run.error or 'see its step logs'}")
            return run
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo run {run_id} did not reach {until} in {RUN_TIMEOUT_SECONDS} s")
        time.sleep(0.2)


def _ship(ctx: DemoContext, approver: str, comment: str) -> Run:
    """Run the pipeline as the flight team; someone else approves prod."""
    with ctx.runtime.store.unit_of_work(ctx.actor("flight")) as uow:
        started = delivery.start_run(uow, ctx.runtime.delivery, SERVICE, RunRequest())
    gated = _wait(ctx, started.id, until=Status.WAITING)
    prod = next(stage.deployment_id for stage in gated.stages if stage.environment == "prod")
    assert prod is not None
    with ctx.runtime.store.unit_of_work(ctx.actor(approver)) as uow:
        delivery.approve(uow, prod, DecisionRequest(comment=comment))
    return _wait(ctx, started.id, until=Status.PASSED)


def seed(ctx: DemoContext) -> None:
    bare = ctx.runtime.settings.home / "demo-repositories" / f"{SERVICE}.git"
    _register(ctx, bare)
    _name_approvers(ctx)
    if not bare.exists():
        bare.parent.mkdir(parents=True, exist_ok=True)
        _git("init", "-q", "--bare", "-b", "main", str(bare), cwd=bare.parent)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "flight-control"
        _git("clone", "-q", str(bare), str(work), cwd=Path(scratch))
        _commit(
            work,
            {
                ".factory/pipeline.yml": PIPELINE,
                "src/flight_control/__init__.py": CONTROLLER.format(gain=0.1),
                "tests/test_altitude_hold.py": TESTS,
                "README.md": "# Flight control\n\nAltitude hold for heavy-lift drones.\n",
            },
            "Add altitude hold for heavy-lift drones (FEAT-1)",
        )
        first = _ship(ctx, "power", "Staging flights were steady; release to the fleet.")
        with ctx.runtime.store.unit_of_work(ctx.actor("flight")) as uow:
            incident = delivery.open_incident(
                uow,
                IncidentCreate(
                    service=SERVICE,
                    environment="prod",
                    title="Heavy drones oscillate around the target altitude",
                    description=f"Reported by the fleet after {first.version} reached prod.",
                ),
            )
        _commit(
            work,
            {"src/flight_control/__init__.py": CONTROLLER.format(gain=0.05)},
            f"Halve the altitude-hold gain for heavy payloads ({incident.key}, FEAT-1)",
        )
        _ship(ctx, "engines", f"Fixes {incident.key}; verified on staging.")
    with ctx.runtime.store.unit_of_work(ctx.actor("flight")) as uow:
        delivery.resolve_incident(uow, incident.key, IncidentResolve(resolution="Gain halved; oscillation gone."))


def _register(ctx: DemoContext, bare: Path) -> None:
    """The story's service, built from the demo's own bare repository (once)."""
    with ctx.runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        try:
            catalog.get_service(uow, SERVICE)
            return
        except NotFound:
            pass
        catalog.register_service(
            uow,
            ServiceCreate(
                key=SERVICE,
                name="Flight control",
                description="Modified flight software for heavy-lift drones.",
                repository_url=str(bare),
                owner_team=_owner(uow, "flight-software"),
            ),
        )


def _name_approvers(ctx: DemoContext) -> None:
    """The flight team names who besides its own members may be the second person for prod: the power
    systems team and Erin from engines (docs/accounts.md, "Ownership")."""
    prod = EnvironmentSpec(name="prod", approval_roles=[Role.TEAM, Role.ADMIN], approvers=PROD_APPROVERS)
    with ctx.runtime.store.unit_of_work(ctx.actor("flight")) as uow:
        catalog.set_environment_policy(uow, SERVICE, prod)


def _owner(uow: UnitOfWork, team: str) -> str | None:
    """The story's owning team when an earlier step made it (the demo's teams step runs first)."""
    try:
        return teams.get_team(uow, team).key
    except NotFound:
        return None
