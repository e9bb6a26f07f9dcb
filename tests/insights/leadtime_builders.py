"""Value lead time test data: a service in a value stream, an epic with two features, a flag and two
changes shipped to production, made through the services with the clock set."""

from __future__ import annotations

from datetime import datetime, timedelta

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate, ValueStreamCreate, WorkLinkCreate
from digital_factory.core.actor import system_actor
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import DeploymentStatus, Origin, OutsideChange, OutsideDeployment
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import FlowItem, StateChange, StoryCreate, WorkState
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import FlagChange, FlagCreate
from tests.insights.flow_builders import T0, Script
from tests.portfolio.builders import move, ready_epic

SERVICE = "rotor"


def _service(s: Script) -> None:
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.create_value_stream(uow, ValueStreamCreate(key="cargo", name="Cargo"))
        catalog.register_service(
            uow,
            ServiceCreate(
                key=SERVICE,
                name="Rotor",
                owner_team="flight-software",
                value_stream="cargo",
                environments=[EnvironmentSpec(name="staging"), EnvironmentSpec(name="production")],
            ),
        )


def _ship(s: Script, sha: str, feature: str, *, authored: float, deployed: float, hours: float) -> None:
    """A change naming `feature`, reported running then succeeded in production."""
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        at = s.start + timedelta(days=authored)
        delivery.record_change(
            uow, SERVICE, OutsideChange(sha=sha, authored_at=at, committed_at=at, message=f"{feature}: work")
        )
        start, finish = s.start + timedelta(days=deployed), s.start + timedelta(days=deployed, hours=hours)
        for status, when in ((DeploymentStatus.RUNNING, start), (DeploymentStatus.SUCCEEDED, finish)):
            report = OutsideDeployment(
                origin=Origin.GITHUB,
                external_id=sha,
                environment="production",
                commit_sha=sha,
                status=status,
                started_at=start,
                finished_at=finish if status is DeploymentStatus.SUCCEEDED else None,
                at=when,
            )
            delivery.record_deployment(uow, SERVICE, report)


def _flag_on(s: Script, environment: str) -> None:
    with s.runtime.store.unit_of_work(system_actor("tests")) as uow:
        releases.request_change(uow, SERVICE, "cargo-bay", environment, FlagChange(enabled=True))


def epic_with_two_features(runtime: Runtime, start: datetime = T0) -> tuple[Script, str, str, str]:
    """The data set of tests/insights/test_leadtime.py (days counted from `start`)."""
    s = Script(runtime, start)
    _service(s)
    epic = ready_epic(runtime, s.board, "Cargo drones").key
    s.at(1)
    f1 = s.feature(epic, "Cargo bay", FlowItem.FEATURE)
    f2 = s.feature(epic, "Stronger rotor", FlowItem.FEATURE)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.link_work(uow, SERVICE, WorkLinkCreate(key=epic))
        releases.create_flag(uow, SERVICE, FlagCreate(key="cargo-bay", feature=f1))
    s.at(2)
    move(runtime, s.board, epic, "implementing")
    for n, key, to in (
        (3, f1, WorkState.ACTIVE),
        (3, f2, WorkState.ACTIVE),
        (4, f2, WorkState.WAITING),
        (5, f2, WorkState.ACTIVE),
        (6, f2, WorkState.DONE),
        (8, f1, WorkState.DONE),
    ):
        s.at(n).change(key, to)
    s.at(3)
    with runtime.store.unit_of_work(s.pm) as uow:
        story = portfolio.create_story(uow, StoryCreate(feature=f2, title="Rotor test rig")).key
    for moment, to in ((3.5, WorkState.ACTIVE), (4.0, WorkState.WAITING), (5.5, WorkState.DONE)):
        s.at(moment)
        with runtime.store.unit_of_work(s.pm) as uow:
            portfolio.change_story_state(uow, story, StateChange(to=to))
    s.at(5)
    _flag_on(s, "staging")
    s.at(9)
    _flag_on(s, "production")
    _ship(s, "a" * 40, f2, authored=4, deployed=6, hours=1)
    _ship(s, "b" * 40, f1, authored=7, deployed=12, hours=2)
    s.at(20)
    return s, epic, f1, f2
