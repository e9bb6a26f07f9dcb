"""Team API export and import: a round trip into a fresh store gives the same team; a refused import
stores nothing and names every problem by its path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from digital_factory.accounts.schemas import AuditFilter, Role
from digital_factory.accounts.service import list_audit_entries
from digital_factory.app.factory import Runtime, build_runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import DependencyCreate, ServiceCreate
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.settings import Settings
from digital_factory.teams import service as teams
from digital_factory.teams import team_api
from digital_factory.teams.schemas import (
    Channel,
    Complexity,
    DomainCreate,
    DurationUnit,
    InteractionCreate,
    InteractionMode,
    Link,
    Meeting,
    TeamCreate,
    TeamProfile,
    TeamType,
    TeamUpdate,
)
from tests.factories import actor_of, make_user
from tests.teams.helpers import drone_teams, fix_clock


@pytest.fixture
def fresh_runtime(tmp_path: Path, sqlite_template: Path) -> Iterator[Runtime]:
    """A second, empty store (SQLite) to import into."""
    target = tmp_path / "fresh" / "factory.db"
    target.parent.mkdir()
    shutil.copy(sqlite_template, target)
    rt = build_runtime(
        Settings(home=tmp_path / "fresh-home", database_url=f"sqlite:///{target}", secret_key="fresh-store-secret")
    )
    yield rt
    rt.store.dispose()


def rich_flight_software(runtime: Runtime) -> None:
    drone_teams(runtime)
    fix_clock(runtime)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.update_team(
            uow,
            "flight-software",
            TeamUpdate(
                mission="Software that flies heavier drones safely",
                profile=TeamProfile(
                    channels=[Channel(type="slack", name="#flight-sw")],
                    search_terms=["autopilot", "flight control"],
                    meetings=[
                        Meeting(purpose="daily sync", day_of_week="Monday", time_of_day="09:00", duration_minutes=15)
                    ],
                    ways_of_working=[Link(name="Kanban", ref="https://wiki.example/kanban")],
                    platform_ref="https://factory.example/teams/platform",
                ),
            ),
        )
        teams.add_domain(uow, "flight-software", DomainCreate(name="Flight control", complexity=Complexity.COMPLEX))
        teams.create_interaction(
            uow,
            InteractionCreate(
                team="flight-software",
                with_team="platform",
                mode=InteractionMode.X_AS_A_SERVICE,
                purpose="pipelines and environments",
                starts_on=date(2026, 1, 5),
            ),
        )
        teams.create_interaction(
            uow,
            InteractionCreate(
                team="coaching",
                with_team="flight-software",
                mode=InteractionMode.FACILITATING,
                purpose="trunk-based development",
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 3, 1),
                expected_duration=4,
                expected_duration_unit=DurationUnit.WEEKS,
            ),
        )
        catalog.register_service(
            uow, ServiceCreate(key="flight-control", name="Flight control", owner_team="flight-software")
        )
        catalog.register_service(uow, ServiceCreate(key="battery-api", name="Battery API", owner_team="power-systems"))
        catalog.add_dependency(uow, "flight-control", DependencyCreate(on="battery-api", description="reads charge"))


def export(runtime: Runtime, key: str = "flight-software") -> dict[str, Any]:
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        return catalog.team_api_document(uow, key)


def prepare_fresh(runtime: Runtime) -> None:
    """What must exist before the document can be imported: the people and the teams it names."""
    for name, role in (("pia", Role.PLATFORM), ("fiona", Role.TEAM)):
        make_user(runtime, name, role)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        teams.create_team(uow, TeamCreate(key="platform", name="Platform", team_type=TeamType.PLATFORM))
        teams.create_team(uow, TeamCreate(key="coaching", name="Delivery Coaching", team_type=TeamType.ENABLING))


def test_export_is_a_team_api_document(runtime: Runtime) -> None:
    rich_flight_software(runtime)
    document = export(runtime)
    assert document["teamapi"] == "0.1.0"
    assert document["info"] == {
        "name": "Flight Software",
        "key": "flight-software",
        "focus": "Software that flies heavier drones safely",
        "type": "stream-aligned",
    }
    assert document["channels"] == [{"type": "slack", "name": "#flight-sw"}]
    assert document["searchTerms"] == [{"term": "autopilot"}, {"term": "flight control"}]
    assert document["platform"] == {"$ref": "https://factory.example/teams/platform"}
    assert document["work"] == {"waysOfWorking": [{"name": "Kanban", "$ref": "https://wiki.example/kanban"}]}
    assert document["meetings"] == [
        {"purpose": "daily sync", "dayOfWeek": "Monday", "timeOfDay": "09:00", "durationMinutes": 15}
    ]
    assert document["services"] == [{"name": "Flight control", "key": "flight-control"}]
    assert document["dependencies"] == [
        {
            "team-name": "Power Systems",
            "team": "power-systems",
            "description": "flight-control depends on battery-api",
            "type": "OK",
        }
    ]
    assert document["interactions"] == [
        {
            "team-name": "Platform",
            "team": "platform",
            "mode": "x-as-a-service",
            "role": "consumer",
            "purpose": "pipelines and environments",
            "startDate": "2026-01-05",
        },
        {
            "team-name": "Delivery Coaching",
            "team": "coaching",
            "mode": "facilitating",
            "role": "facilitated",
            "purpose": "trunk-based development",
            "startDate": "2026-02-01",
            "endDate": "2026-03-01",
            "expectedDuration": 4,
            "expectedDurationUnit": "weeks",
        },
    ]
    assert document["members"] == [{"username": "fiona", "role": "tech lead"}]
    assert document["domains"] == [{"name": "Flight control", "key": "flight-control", "complexity": "complex"}]
    assert yaml.safe_load(team_api.render(document, "yaml")) == document
    with pytest.raises(ValidationFailed):
        team_api.render(document, "xml")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_round_trip_into_a_fresh_store_gives_the_same_team(runtime: Runtime, fresh_runtime: Runtime, fmt: str) -> None:
    rich_flight_software(runtime)
    original = export(runtime)
    text = team_api.render(original, fmt)
    prepare_fresh(fresh_runtime)
    fix_clock(fresh_runtime)
    with fresh_runtime.store.unit_of_work(actor_of(fresh_runtime, "pia")) as uow:
        result = team_api.import_team_api(uow, text)
    assert (result.team, result.created, result.ignored) == ("flight-software", True, ["services", "dependencies"])
    copied = export(fresh_runtime)
    # services and team dependencies belong to the catalog: reported, not imported
    expected = {k: v for k, v in original.items() if k not in {"services", "dependencies"}}
    assert copied == expected
    # the partner teams see the interactions from their side
    platform_side = export(fresh_runtime, "platform")["interactions"]
    assert [(i["team"], i["role"]) for i in platform_side] == [("flight-software", "provider")]
    # importing the same document again changes nothing
    with fresh_runtime.store.unit_of_work(actor_of(fresh_runtime, "pia")) as uow:
        again = team_api.import_team_api(uow, text)
    assert not again.created and export(fresh_runtime) == copied


def test_a_refused_import_stores_nothing_and_names_every_problem(runtime: Runtime) -> None:
    rich_flight_software(runtime)
    document = export(runtime)
    document["info"]["key"] = "engines"
    document["info"]["name"] = "Engines"
    document["members"] = [
        {"username": "fiona", "role": "lead"},
        {"username": "pavel"},
        {"username": "ghost", "role": "engineer"},
    ]
    document["domains"] = [
        {"name": "Flight control", "complexity": "complex"},  # owned by flight-software
        {"name": "Thrust", "complexity": "chaotic"},
    ]
    document["interactions"][0]["team"] = "nobody"
    document["interactions"][1]["role"] = "provider"
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        audit_before = list_audit_entries(uow, AuditFilter(), PageRequest()).total
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        team_api.import_team_api(uow, team_api.render(document, "yaml"))
    problems = {p.field: p.reason for p in refused.value.problems}
    # the shape is checked first: an unknown complexity stops the rest
    assert problems == {"domains[1].complexity": "Input should be 'simple', 'complicated' or 'complex'"}
    assert "nothing was stored" in refused.value.detail

    document["domains"][1]["complexity"] = "complicated"
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        team_api.import_team_api(uow, document)
    problems = {p.field: p.reason for p in refused.value.problems}
    assert problems == {
        "members[2].username": "no such user",
        "domains[0].name": "Flight control is owned by flight-software; one team per domain",
        "interactions[0].team": "no such team 'nobody'",
        "interactions[1].role": "must be facilitator or facilitated for facilitating",
    }
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        assert [t.key for t in teams.list_teams(uow, PageRequest()).items if t.key == "engines"] == []
        assert list_audit_entries(uow, AuditFilter(), PageRequest()).total == audit_before


def test_a_refused_update_leaves_the_team_as_it_was(runtime: Runtime) -> None:
    rich_flight_software(runtime)
    before = export(runtime)
    document = {
        **before,
        "info": {**before["info"], "focus": "changed"},
        "members": [{"username": "fiona"}, {"username": "fiona"}],
        "interactions": [{"team": "flight-software", "mode": "collaboration"}],
    }
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        team_api.import_team_api(uow, document)
    assert {p.field: p.reason for p in refused.value.problems} == {
        "members[1].username": "fiona is listed twice",
        "interactions[0].team": "a team does not interact with itself",
    }
    assert export(runtime) == before


def test_bad_text_and_shapes_are_refused_with_paths(runtime: Runtime) -> None:
    drone_teams(runtime)

    def problems_of(source: str | dict[str, Any]) -> dict[str, str]:
        with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
            team_api.import_team_api(uow, source)
        return {p.field: p.reason for p in refused.value.problems}

    assert "not valid JSON or YAML at line 3" in problems_of("teamapi: 0.1.0\ninfo: [unclosed\n")["document"]
    assert problems_of("- just\n- a list\n") == {"document": "must be a mapping with `teamapi` and `info`"}
    shape = problems_of(
        {
            "teamapi": "one",
            "info": {"name": "", "type": "squad"},
            "members": [{"username": "fiona", "admin": True}],
            "interactions": [
                {"team": "platform", "mode": "pairing"},
                {"team": "platform", "mode": "collaboration", "startDate": "9999-12-31"},
            ],
        }
    )
    assert shape == {
        "teamapi": "String should match pattern '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$'",
        "info.name": "String should have at least 1 character",
        "info.type": "Input should be 'stream-aligned', 'platform', 'enabling' or 'complicated-subsystem'",
        "members[0].admin": "Extra inputs are not permitted",
        "interactions[0].mode": "Input should be 'collaboration', 'x-as-a-service' or 'facilitating'",
        "interactions[1].startDate": "must lie in the years 1970 to 2199",
    }


def test_plain_team_api_documents_from_the_spec_import(runtime: Runtime) -> None:
    """The spec's own spelling (`X-as-a-service`, `teamName`, unquoted times, `x-` extensions) is accepted;
    parts the document leaves out are left as they are."""
    drone_teams(runtime)
    text = """
teamapi: 0.1.0
x-generator: hand-written
info:
  name: Flight Software
  focus: Fly heavier drones
  type: Stream-Aligned
meetings:
  - purpose: daily sync
    dayOfWeek: Wednesday
    timeOfDay: 09:00
    durationMinutes: 15
interactions:
  - teamName: Platform
    mode: X-as-a-service
    purpose: CI/CD
    startDate: 2026-01-01
    expectedDuration: 3
    expectedDurationUnit: Months
"""
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        dry = team_api.import_team_api(uow, text, dry_run=True)
        assert dry.dry_run and not dry.created
        assert teams.list_interactions(uow, team="flight-software") == []
        result = team_api.import_team_api(uow, text)
        detail = teams.team_detail(uow, "flight-software")
    assert not result.created
    assert detail.mission == "Fly heavier drones"
    assert [m.username for m in detail.members] == ["fiona"]  # no `members` in the document: kept
    assert detail.profile.meetings[0].time_of_day == "09:00"
    (interaction,) = detail.interactions
    assert (interaction.with_team, interaction.mode, interaction.expected_end) == (
        "platform",
        "x-as-a-service",
        date(2026, 4, 1),
    )


def test_only_teams_write_may_import(runtime: Runtime) -> None:
    drone_teams(runtime)
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, "fiona")) as uow:
        team_api.import_team_api(uow, {"teamapi": "0.1.0", "info": {"name": "Flight Software"}})
