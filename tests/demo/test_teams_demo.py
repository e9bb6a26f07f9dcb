"""The demo's teams and catalog steps: what they seed, and that they only add what is absent."""

from __future__ import annotations

from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.core.actor import system_actor
from digital_factory.core.pagination import PageRequest
from digital_factory.demo import catalog as catalog_step
from digital_factory.demo import teams as teams_step
from digital_factory.demo.story import DemoContext, cast_step, play, steps
from digital_factory.teams import service as teams
from digital_factory.teams import surveys
from digital_factory.teams.schemas import TeamCreate


def test_the_teams_step_runs_first() -> None:
    assert steps()[0][1] is teams_step.seed


def test_demo_seeds_teams_domains_surveys_interactions_and_the_value_stream(runtime: Runtime) -> None:
    ctx = play(runtime, "demo password 1", lambda title: None)
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        found = {t.key: t for t in teams.list_teams(uow, PageRequest()).items}
        assert {k: (t.name, t.team_type, [m.username for m in t.members]) for k, t in found.items()} == {
            "flight-software": ("Flight Software", "stream-aligned", ["flight"]),
            "power-systems": ("Power Systems", "stream-aligned", ["power"]),
            "platform": ("Platform", "platform", ["platform"]),
            "engines": ("Engines", "stream-aligned", ["engines"]),  # onboarded by the platform step
        }
        current = teams.topology_view(uow).interactions
        assert sorted((i.team, i.mode, i.with_team) for i in current) == [
            ("engines", "x-as-a-service", "platform"),  # recorded by onboarding
            ("flight-software", "x-as-a-service", "platform"),
            ("power-systems", "x-as-a-service", "platform"),
        ]
        flight = teams.team_detail(uow, "flight-software")
        assert [d.complexity for d in flight.domains] == ["complex", "simple"]
        assert [w.rule for w in flight.warnings] == ["complex-domain-not-alone"]
        scores = surveys.survey_results(uow, "flight-software").scores
        assert len(scores) == 3 and scores[0].index > scores[-1].index  # load falls over time
        assert len(surveys.survey_results(uow, "power-systems").scores) == 2
        (stream,) = catalog.list_value_streams(uow)
        assert (stream.name, stream.teams) == ("Heavy-lift drones", ["engines", "flight-software", "power-systems"])
        assert [d.service.key for d in catalog.service_dependencies(uow, "flight-control").depends_on] == [
            "battery-management",
            "engine-control",
        ]
    # a second run adds nothing
    teams_step.seed(ctx)
    catalog_step.seed(ctx)
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        assert len(teams.list_interactions(uow)) == 3 and len(teams.list_domains(uow)) == 6
        assert catalog.catalog_overview(uow).dependencies == 2  # flight control needs batteries and engines


def test_teams_made_by_an_earlier_step_are_kept(runtime: Runtime) -> None:
    ctx = DemoContext(runtime=runtime)
    cast_step(ctx, "demo password 1")
    with runtime.store.unit_of_work(ctx.actor("platform")) as uow:
        teams.create_team(uow, TeamCreate(key="flight-software", name="Flight SW", mission="set earlier"))
    teams_step.seed(ctx)
    with runtime.store.unit_of_work(system_actor(), write=False) as uow:
        team = teams.get_team(uow, "flight-software")
    assert (team.name, team.mission, [m.username for m in team.members]) == ("Flight SW", "set earlier", ["flight"])
