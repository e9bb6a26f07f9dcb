"""Day one: onboarding's first commit starts the service's pipeline, and the golden path's own
pipeline passes build, test and the automatic environments, then waits for an approval for prod."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunFilter
from tests.delivery.gitrepo import wait_for, waiting
from tests.factories import actor_of, make_user
from tests.platform.support import onboard


def test_onboarding_starts_a_green_first_pipeline_run(client: TestClient, runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "erin", Role.TEAM)
    onboard(runtime, actor_of(runtime, "pia"), members=["erin"])

    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service="engine-control"), PageRequest())
    assert runs.total == 1 and runs.items[0].trigger == "push"
    run = wait_for(runtime, runs.items[0].id, waiting)
    assert [(s.name, s.status) for s in run.stages] == [
        ("build", "passed"),
        ("test", "passed"),
        ("deploy-dev", "passed"),
        ("deploy-staging", "passed"),
        ("deploy-prod", "waiting"),
    ], run.error
