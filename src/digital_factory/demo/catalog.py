"""Demo: the "Heavy-lift drones" value stream and the dependencies between the teams' services.

Meant to run last: it groups whatever services the earlier steps registered for the stream's teams. A team
that owns no service by then gets the one the story names, so the catalog is never empty.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import DependencyCreate, ServiceCreate, ServiceUpdate, ValueStreamCreate
from digital_factory.core.errors import NotFound
from digital_factory.core.pagination import PageRequest
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import RepositoryCreate
from digital_factory.store.uow import UnitOfWork

if TYPE_CHECKING:
    from digital_factory.demo.story import DemoContext

SMALL_PIPELINE = """\
version: 1
stages:
  - name: build
    steps:
      - name: compile
        run: python -m compileall -q src && echo "built {key} $FACTORY_VERSION"
  - name: test
    steps:
      - name: unit
        run: python -m unittest discover -s tests -v
  - name: deploy-dev
    environment: dev
    steps:
      - name: deploy
        run: echo "{key} $FACTORY_VERSION is live in dev"
  - name: deploy-staging
    environment: staging
    steps:
      - name: deploy
        run: echo "{key} $FACTORY_VERSION is live in staging"
  - name: deploy-prod
    environment: prod
    steps:
      - name: deploy
        run: echo "{key} $FACTORY_VERSION is live in prod"
"""
SMALL_TEST = """import sys
import unittest

sys.path.insert(0, "src")

from {package} import healthy  # noqa: E402


class Health(unittest.TestCase):
    def test_healthy(self):
        self.assertTrue(healthy())
"""

STREAM_KEY = "heavy-lift-drones"
STREAM_TEAMS = ("flight-software", "power-systems", "engines")
# Services the story names, registered only when their team owns none yet.
FALLBACK_SERVICES = {
    "flight-software": ("flight-control", "Flight control"),
    "power-systems": ("battery-management", "Battery management"),
}


def seed(ctx: DemoContext) -> None:
    with ctx.runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        try:
            catalog.get_value_stream(uow, STREAM_KEY)
        except NotFound:
            catalog.create_value_stream(
                uow,
                ValueStreamCreate(
                    key=STREAM_KEY,
                    name="Heavy-lift drones",
                    description="The board's bet: drones that carry heavier loads grow the market share.",
                ),
            )
        owned = {team: _services_of(uow, team) for team in STREAM_TEAMS}
        for team, (key, name) in FALLBACK_SERVICES.items():
            if not owned[team]:
                clone_url = hosted_repository(ctx, uow, key, name, team)
                catalog.register_service(
                    uow, ServiceCreate(key=key, name=name, owner_team=team, repository_url=clone_url)
                )
                owned[team] = [key]
        for keys in owned.values():
            for key in keys:
                if catalog.get_service(uow, key).value_stream is None:
                    catalog.update_service(uow, key, ServiceUpdate(value_stream=STREAM_KEY))
        _depend(uow, owned["flight-software"], owned["power-systems"], "reads state of charge and power limits")
        _depend(uow, owned["flight-software"], owned["engines"], "sets thrust")


def hosted_repository(ctx: DemoContext, uow: UnitOfWork, key: str, name: str, team: str) -> str:
    """A hosted repository for a story's service, its first commit a small buildable project with a
    pipeline (build, test, then dev, staging and prod); returns its clone URL."""
    host = ctx.runtime.repo_host
    repos.create_repository(uow, host, RepositoryCreate(key=key, description=name, owner_team=team, service_key=key))
    with tempfile.TemporaryDirectory(prefix="demo-repo-") as scratch:
        work = Path(scratch)
        package = key.replace("-", "_")
        files = {
            "README.md": f"# {name}\n\nOwned by {team}. Run its pipeline from the delivery page.\n",
            ".factory/pipeline.yml": SMALL_PIPELINE.format(key=key),
            f"src/{package}/__init__.py": f'"""{name}."""\n\n\ndef healthy() -> bool:\n    return True\n',
            "tests/test_health.py": SMALL_TEST.format(package=package),
        }
        for path, content in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(content)
        repos.run_git(["init", "--quiet", "--initial-branch=main"], cwd=work)
        repos.commit_all(work, f"Start {key}", author=team)
        repos.run_git(["push", "--quiet", host.remote(key), "HEAD:refs/heads/main"], cwd=work, env=host.remote_env(key))
    return host.clone_url(key, ctx.runtime.public_url)


def _services_of(uow: UnitOfWork, team: str) -> list[str]:
    try:
        return [s.key for s in catalog.list_services(uow, PageRequest(limit=200), owner_team=team).items]
    except NotFound:  # the team is not part of this story's store
        return []


def _depend(uow: UnitOfWork, sources: list[str], targets: list[str], why: str) -> None:
    if not sources or not targets:
        return
    source, target = sources[0], targets[0]
    known = {d.service.key for d in catalog.service_dependencies(uow, source).depends_on}
    if target not in known:
        catalog.add_dependency(uow, source, DependencyCreate(on=target, description=why))
