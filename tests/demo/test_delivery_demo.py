"""The demo's delivery step plays for real: two pipelines, prod approved by another team, rework."""

from __future__ import annotations

import pytest

from digital_factory.app.factory import Runtime, prepare_store
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import deployments
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentFilter, RunFilter
from digital_factory.demo import delivery as demo_delivery
from digital_factory.demo import teams as demo_teams
from digital_factory.demo.story import DemoContext, cast_step


def test_flight_control_ships_through_its_pipeline(backend: str, runtime: Runtime) -> None:
    if backend != "sqlite":
        pytest.skip("the demo plays on the embedded store")
    prepare_store(runtime)
    ctx = DemoContext(runtime=runtime)
    cast_step(ctx, "demo password for tests")
    demo_teams.seed(ctx)  # flight-control belongs to flight-software; only its members run its pipeline
    demo_delivery.seed(ctx)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        runs = delivery.list_runs(uow, RunFilter(service="flight-control"), PageRequest())
        prod = deployments.list_deployments(
            uow, DeploymentFilter(service="flight-control", environment="prod"), PageRequest()
        )
        view = deployments.service_delivery(uow, "flight-control")
    assert [r.status for r in runs.items] == ["passed", "passed"]
    assert [r.triggered_by for r in runs.items] == ["flight", "flight"]
    assert [[a.username for a in d.approvals] for d in prod.items] == [["engines"], ["power"]]
    assert [d.is_rework for d in prod.items] == [True, False]
    assert prod.items[0].incidents_restored == ["INC-1"]
    assert {d.work_items[0] for d in prod.items} == {"FEAT-1"}
    assert view.environments[-1].current is not None and view.environments[-1].current.id == prod.items[0].id
