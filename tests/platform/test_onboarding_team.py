"""Onboarding finishes the whole team: mission, domain, X-as-a-Service with the platform team, and the
value stream (asked for, or the epic's); the result links everything it made."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, prepare_platform
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate, ValueStreamCreate, WorkLinkCreate
from digital_factory.core.errors import Conflict, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.platform.schemas import StepStatus
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import Complexity, DomainCreate, MemberAdd, TeamCreate, TeamType
from tests.factories import actor_of, ensure_work, make_user
from tests.platform.support import onboard


def _org(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "erin", Role.TEAM)
    ensure_work(runtime, "FEAT-2")  # EPIC-1 with FEAT-1 and FEAT-2
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="platform", name="Platform", team_type=TeamType.PLATFORM))
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
        teams.add_member(uow, "platform", MemberAdd(username="pia"))
        catalog.create_value_stream(uow, ValueStreamCreate(key="heavy-lift", name="Heavy-lift drones"))
        catalog.create_value_stream(uow, ValueStreamCreate(key="mapping", name="Mapping"))
        catalog.register_service(
            uow,
            ServiceCreate(
                key="flight-control", name="Flight control", owner_team="flight-software", value_stream="heavy-lift"
            ),
        )
        catalog.link_work(uow, "flight-control", WorkLinkCreate(key="FEAT-1"))  # a sibling feature of EPIC-1


def test_onboarding_finishes_the_team(runtime: Runtime) -> None:
    _org(runtime)
    progress: list[tuple[str, StepStatus, str]] = []
    result = onboard(
        runtime,
        actor_of(runtime, "pia"),
        progress=progress,
        members=["erin"],
        feature_key="FEAT-2",
        mission="Engines that lift 25 kg",
        domain="Propulsion",
        domain_complexity="complex",
    )
    with runtime.store.unit_of_work(actor_of(runtime, "erin"), write=False) as uow:
        team = teams.team_detail(uow, "engines")
        service = catalog.get_service(uow, "engine-control")
    assert team.mission == "Engines that lift 25 kg"
    assert [(d.name, d.complexity) for d in team.domains] == [("Propulsion", Complexity.COMPLEX)]
    assert [(i.team, i.mode, i.with_team) for i in team.interactions] == [("engines", "x-as-a-service", "platform")]
    # the feature's epic is served by flight-control in heavy-lift: the new service joins that stream
    assert service.value_stream == "heavy-lift" == result.value_stream
    assert (result.platform_team, result.domain, result.interaction_id) == (
        "platform",
        "propulsion",
        team.interactions[0].id,
    )
    notes = {name: detail for name, status, detail in progress if status != StepStatus.RUNNING}
    assert "engines consumes platform X-as-a-Service" in notes["platform"]
    assert "in the value stream heavy-lift" in notes["service"]
    assert dict(result.links(first_run=7)) == {
        "Team": "/teams/engines",
        "Repository": "/git/engine-control.git",
        "First pipeline run": "/delivery/runs/7",
        "Catalog entry": "/catalog/services/engine-control",
        "Environments": "/catalog/services/engine-control#envs",
        "Feature flags": "/releases/engine-control",
        "Platform team (X-as-a-Service)": "/teams/platform",
        "Value stream": "/catalog?value_stream=heavy-lift",
    }

    # onboarding a second service for the same team records the interaction once, keeps the domain
    again = onboard(
        runtime,
        actor_of(runtime, "pia"),
        service_key="engine-telemetry",
        service_name="Engine telemetry",
        domain="Propulsion",
        value_stream="mapping",
    )
    assert (again.interaction_id, again.value_stream) == (result.interaction_id, "mapping")
    with runtime.store.unit_of_work(actor_of(runtime, "erin"), write=False) as uow:
        assert len(teams.list_interactions(uow, team="engines")) == 1
        assert len(teams.list_domains(uow, team="engines")) == 1


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"value_stream": "nope"}, ValidationFailed, "value_stream"),
        ({"platform_team": "flight-software"}, ValidationFailed, "platform_team"),
        ({"platform_team": "nobody"}, ValidationFailed, "platform_team"),
        ({"domain": "Flight control"}, Conflict, None),
    ],
)
def test_bad_team_parts_are_refused_before_any_work(
    runtime: Runtime, fields: dict[str, object], error: type[Exception], field: str | None
) -> None:
    _org(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.add_domain(uow, "flight-software", DomainCreate(name="Flight control", complexity=Complexity.COMPLEX))
    with pytest.raises(error) as refused:
        onboard(runtime, actor_of(runtime, "pia"), progress=None, **fields)
    if field is not None:
        assert isinstance(refused.value, ValidationFailed) and refused.value.problems[0].field == field
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        assert "engines" not in [t.key for t in teams.list_teams(uow, PageRequest(limit=200)).items]


def test_the_api_takes_the_new_fields_and_refuses_bad_ones_at_once(client: TestClient, runtime: Runtime) -> None:
    _org(runtime)
    prepare_platform(runtime)
    pia = make_user(runtime, "paula", Role.PLATFORM)
    body = {"team_key": "engines", "team_name": "Engines", "service_key": "engine-control", "service_name": "EC"}
    bad = client.post("/api/v1/onboardings", headers=pia.headers, json={**body, "value_stream": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "value_stream"
    wrong = client.post("/api/v1/onboardings", headers=pia.headers, json={**body, "domain_complexity": "chaotic"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.domain_complexity"
    # the request as it was before these fields existed is still taken
    started = client.post("/api/v1/onboardings", headers=pia.headers, json={**body, "mission": "Lift"})
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(600):
        if job["status"] != "running":
            break
        time.sleep(0.1)
        job = client.get(f"/api/v1/jobs/{job['id']}", headers=pia.headers).json()
    assert job["status"] == "succeeded", job
    assert (job["result"]["platform_team"], job["result"]["value_stream"]) == ("platform", None)
    assert client.get("/api/v1/teams/engines", headers=pia.headers).json()["mission"] == "Lift"
