"""The demo gives battery-management a hosted repository like the other services: its pipeline runs from a
manual start, through staging, to the prod approval."""

from __future__ import annotations

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import RunRequest
from digital_factory.demo import catalog as catalog_step
from digital_factory.demo import teams as teams_step
from digital_factory.demo.story import DemoContext, cast_step
from digital_factory.repos import service as repos
from tests.delivery.gitrepo import wait_for, waiting


def test_battery_management_has_a_hosted_repository_whose_pipeline_runs(runtime: Runtime) -> None:
    ctx = DemoContext(runtime=runtime)
    cast_step(ctx, "demo password 1")
    teams_step.seed(ctx)
    catalog_step.seed(ctx)
    with runtime.store.unit_of_work(ctx.actor("power")) as uow:
        service = catalog.get_service(uow, "battery-management")
        repository = repos.repository_for_service(uow, "battery-management")
        tree = repos.list_tree(uow, runtime.repo_host, "battery-management")
        run = delivery.start_run(uow, runtime.delivery, "battery-management", RunRequest())
    assert service.repository_url == f"{runtime.public_url}/git/battery-management.git"
    assert repository is not None and repository.owner_team == "power-systems"
    assert [e.name for e in tree.entries] == [".factory", "src", "tests", "README.md"]
    done = wait_for(runtime, run.id, waiting)
    assert [(s.name, s.status) for s in done.stages][-2:] == [("deploy-staging", "passed"), ("deploy-prod", "waiting")]
