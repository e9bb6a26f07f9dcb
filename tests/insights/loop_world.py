"""The loop test data: value lead time's epic (tests/insights/leadtime_builders.py: service `rotor` linked to
the epic, flag `cargo-bay` releasing F1, changes naming F2 and F1 shipped on days 6 and 12) and a second
service `hangar` of Power Systems, linked to F2 in the catalog, with runs, deployments in dev, staging and
prod, a flag rolling F2 out to 25 % in prod and an incident. Days after T0; the clock stands at day 20.

hangar: run-1 passed (d14), run-2 failed (d15, the latest); change c (d13, names F2) deployed to dev (d14,
v1.2.0), staging (d15, v1.2.0), prod v1.1.0 succeeded (d16), prod v1.2.0 failed (d17, the latest in prod);
incident "Doors stuck" detected in prod at d17.5, caused by v1.2.0, open; flag hangar-doors rolled out to
25 % in prod at d18.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate, WorkLinkCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import (
    DeploymentStatus,
    Origin,
    OutsideChange,
    OutsideDeployment,
    OutsideIncident,
    OutsideRun,
    OutsideRunStatus,
    Status,
)
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagCreate, RolloutRequest
from tests.insights.flow_builders import T0, Script
from tests.insights.leadtime_builders import epic_with_two_features

HANGAR = "hangar"
SHA = "c" * 40


@dataclass(frozen=True)
class LoopWorld:
    script: Script
    epic: str
    f1: str
    f2: str
    incident: str


def _hangar(s: Script, feature: str) -> None:
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        environments = [EnvironmentSpec(name=n) for n in ("dev", "staging", "prod")]
        catalog.register_service(
            uow, ServiceCreate(key=HANGAR, name="Hangar", owner_team="power-systems", environments=environments)
        )
        catalog.link_work(uow, HANGAR, WorkLinkCreate(key=feature))
        releases.create_flag(uow, HANGAR, FlagCreate(key="hangar-doors", feature=feature))


def _run(s: Script, name: str, outcome: Status, day: float) -> None:
    at = s.start + timedelta(days=day)
    report = OutsideRun(
        origin=Origin.GITHUB,
        external_id=name,
        name=name,
        status=OutsideRunStatus.FINISHED,
        outcome=outcome,
        ref="main",
        head_sha=SHA,
        started_at=at,
        finished_at=at,
        at=at,
    )
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        delivery.record_run(uow, HANGAR, report)


def _deploy(s: Script, name: str, environment: str, version: str, *, day: float, status: DeploymentStatus) -> None:
    at = s.start + timedelta(days=day)
    report = OutsideDeployment(
        origin=Origin.GITHUB,
        external_id=name,
        environment=environment,
        version=version,
        commit_sha=SHA,
        status=status,
        started_at=at,
        finished_at=at,
        at=at,
    )
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        delivery.record_deployment(uow, HANGAR, report)


def loop_world(runtime: Runtime, start: datetime = T0) -> LoopWorld:
    s, epic, f1, f2 = epic_with_two_features(runtime, start)
    _hangar(s, f2)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        at = s.start + timedelta(days=13)
        delivery.record_change(
            uow, HANGAR, OutsideChange(sha=SHA, authored_at=at, committed_at=at, message=f"{f2}: doors")
        )
    _run(s, "run-1", Status.PASSED, 14)
    _run(s, "run-2", Status.FAILED, 15)
    _deploy(s, "d-dev", "dev", "v1.2.0", day=14, status=DeploymentStatus.SUCCEEDED)
    _deploy(s, "d-staging", "staging", "v1.2.0", day=15, status=DeploymentStatus.SUCCEEDED)
    _deploy(s, "d-prod-1", "prod", "v1.1.0", day=16, status=DeploymentStatus.SUCCEEDED)
    _deploy(s, "d-prod-2", "prod", "v1.2.0", day=17, status=DeploymentStatus.FAILED)
    report = OutsideIncident(
        origin=Origin.CDEVENTS,
        external_id="doors",
        environment="prod",
        title="Doors stuck",
        caused_by_version="v1.2.0",
        at=s.start + timedelta(days=17.5),
    )
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        incident = delivery.record_incident(uow, HANGAR, report).ref
    s.at(18)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        releases.roll_out(uow, HANGAR, "hangar-doors", "prod", RolloutRequest(percent=25))
    s.at(20)
    return LoopWorld(s, epic, f1, f2, incident)
