"""Value streams, dependencies and the catalog overview through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import (
    DependencyCreate,
    ServiceCreate,
    ServiceUpdate,
    ValueStreamCreate,
    ValueStreamUpdate,
)
from digital_factory.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamUpdate
from tests.factories import actor_of
from tests.teams.helpers import drone_teams


def seed(runtime: Runtime) -> None:
    drone_teams(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy-lift drones"))
        for key, owner in (
            ("flight-control", "flight-software"),
            ("mission-planner", "flight-software"),
            ("battery-api", "power-systems"),
            ("pipelines", "platform"),
        ):
            catalog.register_service(
                uow,
                ServiceCreate(
                    key=key,
                    name=key.replace("-", " ").title(),
                    owner_team=owner,
                    value_stream="heavy-lift" if owner != "platform" else None,
                ),
            )


def test_dependencies_both_ways_with_loops_reported(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:  # the owning team declares them
        first = catalog.add_dependency(uow, "flight-control", DependencyCreate(on="battery-api", description="charge"))
        assert first.cycles == []
        catalog.add_dependency(uow, "mission-planner", DependencyCreate(on="flight-control"))
    with runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        closing = catalog.add_dependency(uow, "battery-api", DependencyCreate(on="mission-planner"))
    (loop,) = closing.cycles
    assert loop.path == ["battery-api", "mission-planner", "flight-control", "battery-api"]
    assert loop.services == ["battery-api", "flight-control", "mission-planner"]

    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        deps = catalog.service_dependencies(uow, "flight-control")
        assert [(d.service.key, d.service.owner_team, d.description) for d in deps.depends_on] == [
            ("battery-api", "power-systems", "charge")
        ]
        assert [d.service.key for d in deps.dependents] == ["mission-planner"]
        assert deps.transitive_dependencies == ["battery-api", "mission-planner"]
        assert [c.services for c in deps.cycles] == [["battery-api", "flight-control", "mission-planner"]]
        assert catalog.service_dependencies(uow, "pipelines").cycles == []
        assert len(catalog.dependency_cycles(uow)) == 1

    with pytest.raises(ValidationFailed) as self_dep, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.add_dependency(uow, "pipelines", DependencyCreate(on="pipelines"))
    assert self_dep.value.problems[0].field == "on"
    with pytest.raises(Conflict), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="battery-api"))
    with pytest.raises(NotFound), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="warp-drive"))
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="pipelines"))  # not pavel's service

    with runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        catalog.remove_dependency(uow, "battery-api", "mission-planner")
        assert catalog.dependency_cycles(uow) == []
    with pytest.raises(NotFound), runtime.store.unit_of_work(actor_of(runtime, "pavel")) as uow:
        catalog.remove_dependency(uow, "battery-api", "mission-planner")


def test_value_streams_and_service_updates(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "vic"), write=False) as uow:
        (stream,) = catalog.list_value_streams(uow)
    assert (stream.name, stream.services, stream.teams) == (
        "Heavy-lift drones",
        3,
        ["flight-software", "power-systems"],
    )
    with pytest.raises(Conflict), runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="other", name="Heavy-lift drones"))
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="racing", name="Racing drones"))

    with runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        moved = catalog.update_service(uow, "flight-control", ServiceUpdate(value_stream=None, description="autopilot"))
        assert (moved.value_stream, moved.description, moved.owner_team) == (None, "autopilot", "flight-software")
        # fiona may not hand her service to a team she does not maintain
        with pytest.raises(PermissionDenied):
            catalog.update_service(uow, "flight-control", ServiceUpdate(owner_team="power-systems"))
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        handed = catalog.update_service(uow, "flight-control", ServiceUpdate(owner_team="power-systems"))
        assert handed.owner_team == "power-systems"
        catalog.update_value_stream(uow, "heavy-lift", ValueStreamUpdate(description="bigger payloads"))
        page = catalog.list_services(uow, PageRequest(), value_stream="heavy-lift")
        assert [s.key for s in page.items] == ["battery-api", "mission-planner"]
        catalog.delete_value_stream(uow, "heavy-lift")
        assert catalog.get_service(uow, "battery-api").value_stream is None
        with pytest.raises(NotFound):
            catalog.update_service(uow, "battery-api", ServiceUpdate(value_stream="heavy-lift"))


def test_the_catalog_overview_groups_by_value_stream(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="racing", name="Racing drones"))
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="pipelines"))
        overview = catalog.catalog_overview(uow)
    assert [g.value_stream.name if g.value_stream else None for g in overview.groups] == [
        "Heavy-lift drones",
        "Racing drones",
        None,
    ]
    heavy = overview.groups[0]
    assert [e.service.key for e in heavy.entries] == ["battery-api", "flight-control", "mission-planner"]
    flight = heavy.entries[1]
    assert flight.depends_on == ["pipelines"] and flight.service.environments[-1].approval_roles == ["team", "admin"]
    assert overview.groups[2].entries[0].dependents == ["flight-control"]
    assert (overview.services, overview.dependencies, overview.cycles, overview.warnings) == (4, 1, [], [])
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        only = catalog.catalog_overview(uow, owner_team="power-systems")
        stream = catalog.catalog_overview(uow, value_stream="racing")
    assert [[e.service.key for e in g.entries] for g in only.groups] == [["battery-api"]]
    assert [(g.value_stream.key if g.value_stream else None, g.entries) for g in stream.groups] == [("racing", [])]


def test_enabling_teams_owning_services_are_warned_about(runtime: Runtime) -> None:
    seed(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        catalog.register_service(uow, ServiceCreate(key="coaching-kit", name="Kit", owner_team="coaching"))
        teams.add_member(uow, "coaching", MemberAdd(username="fiona"))
        (warning,) = catalog.ownership_warnings(uow)
        assert warning.team == "coaching" and "coaching-kit" in warning.message
        assert catalog.ownership_warnings(uow, team="platform") == []
        teams.update_team(uow, "coaching", TeamUpdate(name="Coaching"))
        assert len(catalog.catalog_overview(uow).warnings) == 1
