"""Real git repositories for delivery tests: a bare repository and a working clone to commit from."""

from __future__ import annotations

import subprocess
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import Run, Status
from digital_factory.repos.events import PushReceived

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Fiona",
    "GIT_AUTHOR_EMAIL": "fiona@example.com",
    "GIT_COMMITTER_NAME": "Fiona",
    "GIT_COMMITTER_EMAIL": "fiona@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin",
}

# The golden-path shape: build, test with pytest, deploy to dev, staging and prod.
TEMPLATE_PIPELINE = """\
version: 1
variables:
  APP_NAME: flight-control
stages:
  - name: build
    steps:
      - name: package
        run: |
          mkdir -p dist
          python -m compileall -q src
          tar -czf dist/app.tar.gz src
          echo "built $APP_NAME $FACTORY_VERSION"
        artifacts: [dist/]
  - name: test
    steps:
      - name: unit
        run: python -m pytest -q tests
        timeout: 5m
  - name: deploy-dev
    environment: dev
    steps:
      - name: deploy
        run: test -f dist/app.tar.gz && echo "deployed $FACTORY_VERSION to $FACTORY_ENVIRONMENT"
  - name: deploy-staging
    environment: staging
    steps:
      - name: deploy
        run: test -f dist/app.tar.gz && echo "deployed $FACTORY_VERSION to $FACTORY_ENVIRONMENT"
  - name: deploy-prod
    environment: prod
    steps:
      - name: deploy
        run: test -f dist/app.tar.gz && echo "deployed $FACTORY_VERSION to $FACTORY_ENVIRONMENT"
"""

PROJECT_FILES = {
    "src/flight/__init__.py": "def altitude_hold(target: float, current: float) -> float:\n"
    "    return max(-1.0, min(1.0, (target - current) / 10))\n",
    "tests/test_flight.py": textwrap.dedent(
        """\
        import sys
        sys.path.insert(0, "src")
        from flight import altitude_hold

        def test_climbs_towards_target():
            assert altitude_hold(100, 90) == 1.0

        def test_holds_at_target():
            assert altitude_hold(100, 100) == 0.0
        """
    ),
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True).stdout


@dataclass
class GitRepo:
    bare: Path
    work: Path

    def commit(self, files: dict[str, str], message: str) -> str:
        for name, content in files.items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work).strip()

    def push(self, branch: str = "main") -> tuple[str, str]:
        """Push and return (before, after) of the branch in the bare repository."""
        try:
            before = git("rev-parse", f"refs/heads/{branch}", cwd=self.bare).strip()
        except subprocess.CalledProcessError:
            before = "0" * 40
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=self.work)
        return before, git("rev-parse", f"refs/heads/{branch}", cwd=self.bare).strip()


def make_repo(root: Path, files: dict[str, str], message: str = "Initial commit") -> GitRepo:
    root.mkdir(parents=True, exist_ok=True)
    bare = root / "origin.git"
    work = root / "work"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=root)
    git("init", "-q", "-b", "main", str(work), cwd=root)
    git("remote", "add", "origin", str(bare), cwd=work)
    repo = GitRepo(bare=bare, work=work)
    repo.commit(files, message)
    repo.push()
    return repo


def publish_push(runtime: Runtime, repo: GitRepo, service_key: str, pusher: str, branch: str = "main") -> None:
    """What the repos domain does after a push: record nothing here, publish the event."""
    before, after = repo.push(branch)
    runtime.store.bus.publish(
        PushReceived(
            repository_key=service_key,
            service_key=service_key,
            git_dir=str(repo.bare),
            ref=f"refs/heads/{branch}",
            before=before,
            after=after,
            pusher=pusher,
        )
    )


def wait_for(runtime: Runtime, run_id: int, done: Callable[[Run], bool], timeout: float = 60) -> Run:
    deadline = time.monotonic() + timeout
    while True:
        with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
            run = delivery.get_run(uow, run_id)
        if done(run):
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} did not get there in {timeout} s: {run.model_dump_json(indent=1)}")
        time.sleep(0.1)


def finished(run: Run) -> bool:
    return run.status.finished


def waiting(run: Run) -> bool:
    return run.status == Status.WAITING or run.status.finished
