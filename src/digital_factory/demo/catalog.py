"""Demo: the "Heavy-lift drones" value stream and the dependencies between the teams' services.

Meant to run last: it groups whatever services the earlier steps registered for the stream's teams. A team
that owns no service by then gets the one the story names, so the catalog is never empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import DependencyCreate, ServiceCreate, ServiceUpdate, ValueStreamCreate
from digital_factory.core.errors import NotFound
from digital_factory.core.pagination import PageRequest
from digital_factory.store.uow import UnitOfWork

if TYPE_CHECKING:
    from digital_factory.demo.story import DemoContext

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
                catalog.register_service(uow, ServiceCreate(key=key, name=name, owner_team=team))
                owned[team] = [key]
        for keys in owned.values():
            for key in keys:
                if catalog.get_service(uow, key).value_stream is None:
                    catalog.update_service(uow, key, ServiceUpdate(value_stream=STREAM_KEY))
        _depend(uow, owned["flight-software"], owned["power-systems"], "reads state of charge and power limits")
        _depend(uow, owned["flight-software"], owned["engines"], "sets thrust")


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
