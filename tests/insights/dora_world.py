"""A hand-built DORA data set for the service `rotor`, recorded through delivery's use-cases (outside records
with their own event times, incidents opened and resolved by people on a fixed clock).

Two weeks from Monday T = 2026-03-02 00:00 UTC (hours after T in brackets):

- D0 deploys c0 70 days before T (the first production deployment seen: it carries only its own commit).
- c1 (0), c2 (2), c3 (4, names FEAT-1): merged on the default branch; D1 deploys c3 to production at 10:
  it carries all three (several commits in one deployment): lead times 10 h, 8 h, 6 h.
  A staging deployment of c1 at 5 does not count.
- b4 (20): a pull request's own branch commit, squashed into s4 (26, merged); D2 deploys s4 at 29: 3 h
  (the squash commit's time; b4 never reaches production and is not counted).
- c5 (48); D3 (v3) at 49: 1 h. Incident I1 (CDEvents, names version v3) detected at 50, resolved at 53.
- c6 (51, "Fixes <I1>"); D4 at 52: 1 h, rework, restores I1: D3's recovery is 50 -> 52 = 2 h.
- c7 (71); D5 at 72 fails in production, nothing needed: out of every figure.
- c8 (95); D6 at 96 fails in production and an incident names it (detected 96.5, resolved 98.5): a failed
  deployment in the change fail rate, recovery 2 h.
- c9 (118); D7 at 120: 2 h. Rolled back by D8 (asked 120.5, done 121: rework): D7's recovery 0.5 h.
- c10 (146, a clock ahead); D9 at 145: lead time -1 h, ignored and counted.
- U: an incident detected at 0.5, more than 7 days after D0 (the heuristic's window): no cause, unlinked.

By hand, [T, T+14 d): D = D1 D2 D3 D4 D7 D8 D9 (7); frequency 7/14 = 0.5 a day, weekly cadence (median
week: 3.5 deployments on 2.5 days). Lead time: 1 1 2 3 6 8 10 h -> median 3 h, p85 8.2 h, 1 ignored. Change
fail rate: D3 D6 D7 of D + D6 = 3/8. Recovery: 2 h, 2 h, 0.5 h -> median 2 h. Rework: D4 D8 = 2/7.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate, ValueStreamCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.clock import FixedClock
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    IncidentCreate,
    IncidentResolve,
    Origin,
    OutsideChange,
    OutsideDeployment,
    OutsideIncident,
)
from tests.delivery.owners import owning_team
from tests.factories import ensure_work

T = datetime(2026, 3, 2, tzinfo=UTC)
SERVICE = "rotor"
TEAM = "dora-crew"
STREAM = "lift"
HOUR = 3600.0


def at(hours: float) -> datetime:
    return T + timedelta(hours=hours)


@dataclass
class World:
    runtime: Runtime
    clock: FixedClock
    incident: str = ""  # I1's key
    deployments: dict[str, int] | None = None


def make_service(runtime: Runtime, key: str = SERVICE, *, stream: str | None = STREAM) -> None:
    team = owning_team(runtime, key=TEAM)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        if stream and not any(s.key == stream for s in catalog.list_value_streams(uow)):
            catalog.create_value_stream(uow, ValueStreamCreate(key=stream, name=stream.title()))
        catalog.register_service(
            uow,
            ServiceCreate(
                key=key,
                name=key.title(),
                owner_team=team,
                value_stream=stream,
                environments=[EnvironmentSpec(name="staging"), EnvironmentSpec(name="production")],
            ),
        )


def change(runtime: Runtime, sha: str, hours: float, message: str = "", *, merged: bool = True) -> None:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        delivery.record_change(
            uow,
            SERVICE,
            OutsideChange(
                sha=sha,
                authored_at=at(hours),
                committed_at=at(hours),
                merged_at=at(hours) if merged else None,
                message=message or f"work {sha}",
            ),
        )


def deploy(
    runtime: Runtime,
    name: str,
    sha: str,
    hours: float,
    *,
    status: DeploymentStatus = DeploymentStatus.SUCCEEDED,
    environment: str = "production",
    rollback: bool = False,
    version: str = "",
    service: str = SERVICE,
) -> int:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        result = delivery.record_deployment(
            uow,
            service,
            OutsideDeployment(
                origin=Origin.GITHUB,
                external_id=name,
                environment=environment,
                commit_sha=sha,
                version=version or sha,
                status=status,
                is_rollback=rollback,
                at=at(hours),
            ),
        )
    return int(result.ref)


def incident(runtime: Runtime, name: str, hours: float, *, resolved: bool = False, version: str | None = None) -> str:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        result = delivery.record_incident(
            uow,
            SERVICE,
            OutsideIncident(
                origin=Origin.CDEVENTS,
                external_id=name,
                environment="production",
                title=name,
                resolved=resolved,
                caused_by_version=version,
                at=at(hours),
            ),
        )
    return result.ref


def build(runtime: Runtime) -> World:
    """The data set above; the clock stands at T + 14 d afterwards."""
    clock = FixedClock(at(-1684))
    runtime.store.clock = clock
    make_service(runtime)
    ensure_work(runtime, "FEAT-1")
    ids: dict[str, int] = {}
    change(runtime, "c0" * 4, -1684)  # D0, 70 days before T (2025-12-22): before any period the tests read
    ids["D0"] = deploy(runtime, "D0", "c0" * 4, -1680)
    clock.set(at(0.5))
    incident(runtime, "U", 0.5)
    change(runtime, "c1" * 4, 0)
    change(runtime, "c2" * 4, 2)
    change(runtime, "c3" * 4, 4, "Land the rotor (FEAT-1)")
    ids["staging"] = deploy(runtime, "S1", "c1" * 4, 5, environment="staging")
    ids["D1"] = deploy(runtime, "D1", "c3" * 4, 10)
    change(runtime, "b4" * 4, 20, merged=False)
    change(runtime, "s4" * 4, 26)
    ids["D2"] = deploy(runtime, "D2", "s4" * 4, 29)
    change(runtime, "c5" * 4, 48)
    ids["D3"] = deploy(runtime, "D3", "c5" * 4, 49, version="v3")
    key = incident(runtime, "I1", 50, version="v3")
    change(runtime, "c6" * 4, 51, f"Fixes {key}")
    ids["D4"] = deploy(runtime, "D4", "c6" * 4, 52)
    incident(runtime, "I1", 53, resolved=True)
    change(runtime, "c7" * 4, 71)
    ids["D5"] = deploy(runtime, "D5", "c7" * 4, 72, status=DeploymentStatus.FAILED)
    change(runtime, "c8" * 4, 95)
    ids["D6"] = deploy(runtime, "D6", "c8" * 4, 96, status=DeploymentStatus.FAILED)
    clock.set(at(97))
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        d6 = delivery.open_incident(
            uow,
            IncidentCreate(
                service=SERVICE,
                environment="production",
                title="D6 broke the hangar doors",
                detected_at=at(96.5),
                caused_by_deployment=ids["D6"],
            ),
        )
    clock.set(at(98.5))
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        delivery.resolve_incident(uow, d6.key, IncidentResolve(resolution="doors reset by hand"))
    change(runtime, "c9" * 4, 118)
    ids["D7"] = deploy(runtime, "D7", "c9" * 4, 120)
    deploy(runtime, "D8", "c5" * 4, 120.5, status=DeploymentStatus.RUNNING, rollback=True, version="v3")
    ids["D8"] = deploy(runtime, "D8", "c5" * 4, 121, rollback=True, version="v3")
    change(runtime, "ca" * 4, 146)
    ids["D9"] = deploy(runtime, "D9", "ca" * 4, 145)
    clock.set(at(14 * 24))
    return World(runtime=runtime, clock=clock, incident=key, deployments=ids)
