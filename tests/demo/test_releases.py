"""The demo's release step: heavy-lift mode released to 10 % of prod through approval (the story's last act
takes it further, over the API: tests/cli/test_demo_command.py), counted evaluations."""

from __future__ import annotations

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.pagination import PageRequest
from digital_factory.demo import releases as step
from digital_factory.demo import teams as teams_step
from digital_factory.demo.story import DemoContext, cast_step
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import ReleaseFilter


@pytest.mark.parametrize("registered", [False, True], ids=["registers-service", "service-exists"])
def test_heavy_lift_mode_starts_its_gradual_release_through_approval(runtime: Runtime, registered: bool) -> None:
    ctx = DemoContext(runtime=runtime)
    cast_step(ctx, "demo password for tests")
    teams_step.seed(ctx)  # flight-software owns flight-control: its members approve the prod changes
    if registered:
        with runtime.store.unit_of_work(ctx.actor("platform")) as uow:
            service = ServiceCreate(key=step.SERVICE, name="Flight control (platform)", owner_team="flight-software")
            catalog.register_service(uow, service)
    step.seed(ctx)
    with runtime.store.unit_of_work(ctx.actor("board"), write=False) as uow:
        prod = releases.list_releases(
            uow, ReleaseFilter(service=step.SERVICE, environment="prod", flag="heavy-lift-mode"), PageRequest()
        )
        counts = releases.evaluation_counts(uow, step.SERVICE, "heavy-lift-mode", "prod")
        battery = releases.evaluation_counts(uow, step.SERVICE, "battery-profile", "prod")
        keys = releases.list_client_keys(uow, step.SERVICE)
        name = catalog.get_service(uow, step.SERVICE).name
    assert [(r.exposure_before, r.exposure_after, r.requested_by, r.approved_by) for r in reversed(prod.items)] == [
        (0.0, 10.0, "pm", "flight"),
    ]
    assert [r.kind for r in reversed(prod.items)] == ["on"]
    assert sum(t.count for t in counts.totals) == step.FLEET
    on = next(t.count for t in counts.totals if t.variant == "on")
    assert abs(on - 0.1 * step.FLEET) < 0.05 * step.FLEET  # the sticky 10 % of the fleet
    assert {t.variant: t.count for t in battery.totals} == {"extended": 3, "standard": step.FLEET - 3}
    assert sorted(k.environment for k in keys) == ["dev", "prod", "staging"]
    assert name == ("Flight control (platform)" if registered else "Flight control")
