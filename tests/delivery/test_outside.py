"""Records from outside (delivery/outside.py): idempotent on (service, origin, external id), never moved
backwards by a late report, and refused to anyone who may not change the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import EnvironmentSpec, ServiceCreate
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import Conflict, PermissionDenied
from digital_factory.core.pagination import PageRequest
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import (
    DecisionRequest,
    DeploymentFilter,
    DeploymentStatus,
    IncidentFilter,
    Origin,
    OutsideDeployment,
    OutsideIncident,
    OutsideRun,
    OutsideRunStatus,
    RunFilter,
    Status,
)
from tests.delivery.owners import owning_team
from tests.factories import actor_of, make_user

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def svc(runtime: Runtime) -> str:
    team = owning_team(runtime, key="outside-crew")
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        catalog.register_service(
            uow,
            ServiceCreate(
                key="rotor",
                name="Rotor",
                owner_team=team,
                environments=[EnvironmentSpec(name="staging"), EnvironmentSpec(name="production")],
            ),
        )
    return "rotor"


def _deploy(status: DeploymentStatus, minutes: int, environment: str = "production") -> OutsideDeployment:
    return OutsideDeployment(
        origin=Origin.GITHUB,
        external_id="42",
        environment=environment,
        commit_sha="f" * 40,
        status=status,
        at=T0 + timedelta(minutes=minutes),
    )


def test_a_deployment_moves_forward_only_by_event_time(runtime: Runtime, svc: str) -> None:
    reports = [
        (_deploy(DeploymentStatus.REQUESTED, 0), True),
        (_deploy(DeploymentStatus.SUCCEEDED, 5), True),
        (_deploy(DeploymentStatus.RUNNING, 3), False),  # late "in progress" after success: ignored
        (_deploy(DeploymentStatus.SUCCEEDED, 5), False),  # the same report again
        (_deploy(DeploymentStatus.FAILED, 4), False),  # an older final report
        (_deploy(DeploymentStatus.FAILED, 9), True),  # a newer final report wins
    ]
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        changed = [delivery.record_deployment(uow, svc, report).changed for report, _ in reports]
    assert changed == [expected for _, expected in reports]
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        [row] = delivery.list_deployments(uow, DeploymentFilter(service=svc), PageRequest()).items
    assert (row.status, row.is_production, row.origin, row.run_id) == ("failed", True, "github", None)
    assert (row.started_at, row.finished_at) == (T0 + timedelta(minutes=5), T0 + timedelta(minutes=9))


def test_an_outside_deployment_has_no_gate_and_cannot_be_rolled_back_here(runtime: Runtime, svc: str) -> None:
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        ref = delivery.record_deployment(uow, svc, _deploy(DeploymentStatus.SUCCEEDED, 1)).ref
    with runtime.store.unit_of_work(system_actor("tests")) as uow, pytest.raises(Conflict) as refused:
        delivery.approve(uow, int(ref), DecisionRequest(comment="go"))
    assert refused.value.rule == "outside-deployment"
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        view = delivery.service_delivery(uow, svc)
    production = next(env for env in view.environments if env.name == "production")
    assert production.current is not None and production.current.origin == "github"


def test_a_run_is_idempotent_and_never_backwards(runtime: Runtime, svc: str) -> None:
    def run(status: OutsideRunStatus, minutes: int, outcome: Status | None = None) -> OutsideRun:
        return OutsideRun(
            origin=Origin.GITLAB,
            external_id="31",
            name="pipeline 31",
            status=status,
            outcome=outcome,
            head_sha="a" * 40,
            at=T0 + timedelta(minutes=minutes),
            started_at=T0,
        )

    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        delivery.record_run(uow, svc, run(OutsideRunStatus.RUNNING, 1))
        delivery.record_run(uow, svc, run(OutsideRunStatus.FINISHED, 4, Status.PASSED))
        late = delivery.record_run(uow, svc, run(OutsideRunStatus.QUEUED, 0))
    assert late.changed is False
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        [summary] = delivery.list_runs(uow, RunFilter(service=svc), PageRequest()).items
    assert (summary.status, summary.origin, summary.finished_at) == ("passed", "gitlab", T0 + timedelta(minutes=4))
    with runtime.store.unit_of_work(system_actor("tests")) as uow, pytest.raises(Conflict):
        delivery.cancel_run(uow, summary.id)


def test_an_incident_is_attributed_to_the_deployment_it_names(runtime: Runtime, svc: str) -> None:
    deployed = _deploy(DeploymentStatus.SUCCEEDED, 0).model_copy(update={"version": "v1.2"})
    incident = OutsideIncident(
        origin=Origin.CDEVENTS,
        external_id="incident-1",
        environment="production",
        title="Rotor wobbles",
        caused_by_version="v1.2",
        at=T0 + timedelta(hours=1),
    )
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        deployment = delivery.record_deployment(uow, svc, deployed)
        delivery.record_incident(uow, svc, incident)
        again = delivery.record_incident(uow, svc, incident)
        resolved = delivery.record_incident(
            uow, svc, incident.model_copy(update={"resolved": True, "at": T0 + timedelta(hours=2)})
        )
    assert (again.changed, resolved.changed) == (False, True)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        [row] = delivery.list_incidents(uow, IncidentFilter(service=svc), PageRequest()).items
    assert (row.caused_by_deployment_id, row.cause_link) == (int(deployment.ref), "reported")
    assert (row.status, row.resolved_at, row.opened_by) == ("resolved", T0 + timedelta(hours=2), "cdevents")


def test_only_owners_record_outside_facts(runtime: Runtime, svc: str) -> None:
    make_user(runtime, "stranger", Role.TEAM)
    with runtime.store.unit_of_work(actor_of(runtime, "stranger")) as uow, pytest.raises(PermissionDenied):
        delivery.record_deployment(uow, svc, _deploy(DeploymentStatus.SUCCEEDED, 0))
