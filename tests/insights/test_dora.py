"""DORA's five figures on the hand-built data set of `dora_world` (its docstring works them out), per scope,
in trend buckets, under each policy, and for empty periods."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.delivery import service as delivery
from digital_factory.delivery.schemas import IncidentCreate
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraBand, DoraFigures, DoraPolicy, DoraReport
from digital_factory.platform import service as platform
from tests.insights.dora_world import HOUR, SERVICE, STREAM, TEAM, T, World, at, build

END = T + timedelta(days=14)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build(runtime)


def _report(world: World, policy: DoraPolicy | None = None, **scope: object) -> DoraReport:
    window = {"start": T, "end": END, **scope}
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return insights.dora_report(uow, policy or DoraPolicy(), **window)  # type: ignore[arg-type]


def _assert_the_fortnight(f: DoraFigures) -> None:
    assert (f.deployment_frequency.value, f.deployment_frequency.sample_size) == (0.5, 7)
    assert (f.deployment_frequency.cadence, f.deployment_frequency.band) == ("weekly", DoraBand.HIGH)
    lead = f.change_lead_time
    # c1 10 h, c2 8, c3 6, s4 3, c5 1, c6 1, c7 49 and c8 25 (failed deployments: out with D7), c9 2; ca -1 ignored
    assert (lead.value, lead.sample_size, lead.ignored) == (6 * HOUR, 9, 1)
    assert lead.p85 == pytest.approx(22 * HOUR)
    assert lead.band == DoraBand.ELITE
    cfr = f.change_fail_rate
    assert (cfr.value, cfr.failed, cfr.sample_size, cfr.band) == (3 / 8, 3, 8, DoraBand.LOW)
    recovery = f.failed_deployment_recovery_time
    assert (recovery.value, recovery.sample_size, recovery.unrecovered) == (2 * HOUR, 3, 0)
    assert recovery.band == DoraBand.HIGH
    rework = f.deployment_rework_rate
    assert (rework.value, rework.rework, rework.sample_size, rework.band) == (2 / 7, 2, 7, None)
    assert f.unlinked_incidents == 1
    assert f.level is None  # high, elite, low, high: the levels disagree


def test_the_five_figures_of_a_service_equal_the_hand_worked_values(world: World) -> None:
    report = _report(world, service=SERVICE)
    assert (report.scope, report.key, report.services, report.bands) == ("service", SERVICE, [SERVICE], 2024)
    _assert_the_fortnight(report.figures)
    assert [row.service for row in report.by_service] == [SERVICE]
    _assert_the_fortnight(report.by_service[0].figures)


def test_the_team_the_value_stream_and_everything_see_the_same_service(world: World) -> None:
    for scope in ({"team": TEAM}, {"value_stream": STREAM}, {}):
        report = _report(world, None, **scope)
        _assert_the_fortnight(report.figures)


def test_weekly_buckets_split_the_figures_and_an_empty_week_has_no_figures(world: World) -> None:
    [first, second] = _report(world, service=SERVICE).trend
    assert (first.start, first.end, second.start, second.end) == (T, T + timedelta(days=7), T + timedelta(days=7), END)
    assert first.figures.deployment_frequency.value == 1.0
    assert first.figures.change_lead_time.value == 6 * HOUR
    assert first.figures.change_fail_rate.value == 3 / 8
    empty = second.figures
    assert [empty.deployment_frequency.value, empty.change_lead_time.value, empty.change_fail_rate.value] == [None] * 3
    assert [empty.failed_deployment_recovery_time.value, empty.deployment_rework_rate.value] == [None, None]
    assert [empty.deployment_frequency.sample_size, empty.change_lead_time.sample_size] == [0, 0]
    assert [empty.change_fail_rate.sample_size, empty.deployment_rework_rate.sample_size] == [0, 0]
    assert empty.unlinked_incidents == 0 and empty.deployment_frequency.band is None


def test_a_period_without_anything_has_no_figures_not_zeros(world: World) -> None:
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        report = insights.dora_report(uow, DoraPolicy(), service=SERVICE, start=at(500), end=at(700))
    f = report.figures
    assert f.deployment_frequency.value is None and f.deployment_frequency.sample_size == 0
    assert f.change_lead_time.value is None and f.change_lead_time.p85 is None
    assert f.change_fail_rate.value is None and f.failed_deployment_recovery_time.value is None
    assert f.deployment_rework_rate.value is None and f.unlinked_incidents == 0
    assert report.by_service == []


def test_an_epic_counts_the_deployments_carrying_its_work(world: World) -> None:
    f = _report(world, epic="EPIC-1").figures
    # only D1 carries a change naming FEAT-1 (c3, 6 h)
    assert (f.deployment_frequency.sample_size, f.change_lead_time.value, f.change_lead_time.sample_size) == (
        1,
        6 * HOUR,
        1,
    )
    assert (f.change_fail_rate.value, f.deployment_rework_rate.value, f.unlinked_incidents) == (0.0, 0.0, 1)


def test_rollbacks_left_out_by_policy(world: World) -> None:
    f = _report(world, DoraPolicy(count_rollbacks=False), service=SERVICE).figures
    assert f.deployment_frequency.sample_size == 6
    assert (f.change_fail_rate.failed, f.change_fail_rate.sample_size) == (3, 7)
    assert (f.deployment_rework_rate.rework, f.deployment_rework_rate.sample_size) == (1, 6)


def test_other_report_years_place_the_same_figures_in_their_own_bands(world: World) -> None:
    f2023 = _report(world, DoraPolicy(bands=2023), service=SERVICE).figures
    # 3/8 = 37.5 %: 2023's clusters 5, 10, 15, 64 %: nearest 15 % (0.225 away; 64 % is 0.265 away)
    assert (f2023.change_fail_rate.band, f2023.change_lead_time.band) == (DoraBand.MEDIUM, DoraBand.ELITE)
    assert f2023.failed_deployment_recovery_time.band == DoraBand.HIGH  # 2 h: under a day
    f2021 = _report(world, DoraPolicy(bands=2021), service=SERVICE).figures
    # 2021: lead time 6 h is not under 1 h (Elite); the gap up to a day falls to High
    assert f2021.change_lead_time.band == DoraBand.HIGH
    # 2021: weekly cadence lies between once a week and once a month: High
    assert f2021.deployment_frequency.band == DoraBand.HIGH
    assert f2021.change_fail_rate.band == DoraBand.HIGH  # above 15 %: the shared 16-30 % reads as High
    assert (f2021.deployment_frequency.value, f2021.change_lead_time.value) == (0.5, 6 * HOUR)


def test_an_incident_naming_a_commit_fails_its_first_production_deployment(world: World) -> None:
    with world.runtime.store.unit_of_work(system_actor("tests")) as uow:
        opened = delivery.open_incident(
            uow,
            IncidentCreate(
                service=SERVICE,
                environment="production",
                title="c2 broke it",
                detected_at=at(160),
                caused_by_change="c2c2c2",
            ),
        )
    assert opened.cause_link == "change" and opened.caused_by_deployment_id == world.deployments["D1"]  # type: ignore[index]
    f = _report(world, service=SERVICE).figures
    assert (f.change_fail_rate.value, f.change_fail_rate.failed) == (4 / 8, 4)
    assert (f.failed_deployment_recovery_time.value, f.failed_deployment_recovery_time.unrecovered) == (2 * HOUR, 1)


def test_a_change_fixing_an_incident_restores_it_and_is_rework(world: World) -> None:
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        fixed = delivery.get_incident(uow, world.incident)
        d4 = delivery.get_deployment(uow, world.deployments["D4"])  # type: ignore[index]
    assert (fixed.caused_by_deployment_id, fixed.cause_link) == (world.deployments["D3"], "reported")  # type: ignore[index]
    assert (fixed.restored_by_deployment_id, fixed.restore_link) == (d4.id, "commit")
    assert d4.is_rework and d4.incidents_restored == [world.incident]


def test_bad_scopes_and_periods_are_named(world: World) -> None:
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        with pytest.raises(ValidationFailed) as two:
            insights.dora_report(uow, DoraPolicy(), service=SERVICE, team=TEAM)
        with pytest.raises(ValidationFailed) as backwards:
            insights.dora_report(uow, DoraPolicy(), start=END, end=T)
        with pytest.raises(NotFound):
            insights.dora_report(uow, DoraPolicy(), service="no-such")
        with pytest.raises(ValidationFailed) as commit:
            delivery.open_incident(
                uow, IncidentCreate(service=SERVICE, environment="production", title="x", caused_by_change="b4b4b4")
            )
    assert two.value.problems[0].field == "team"
    assert backwards.value.problems[0].field == "start"
    assert commit.value.problems[0].field == "caused_by_change"  # b4 never reached production


def test_the_scorecard_reads_the_modal_level(world: World) -> None:
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        levels = insights.service_levels(uow, DoraPolicy(), start=T, end=END)
    assert levels == {SERVICE: DoraBand.HIGH}  # high, elite, low, high


def test_the_scorecard_judges_the_last_90_days(world: World) -> None:
    """Over [T-76 d, T+14 d): D0 too; 8 deployments in 2 of 12 weeks (monthly: medium), lead time median 7 h
    (c0's 24 h joins: elite), fail rate 3/9 (low), recovery 2 h (high): no level twice, so the lowest, low."""
    with world.runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        report = platform.scorecard_report(uow, world.runtime.platform)
    [card] = [c for c in report.scorecards if c.service == SERVICE]
    [rule] = [r for r in card.results if r.rule == "dora-band"]
    assert (rule.status, rule.detail) == ("fail", "DORA band low")
    [prod] = [r for r in card.results if r.rule == "deploys-to-prod"]  # production, the last environment
    assert (prod.status, prod.detail) == ("pass", "deployed to prod")
