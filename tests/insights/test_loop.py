"""The loop of an epic and of a feature, on tests/insights/loop_world.py's data (values worked out there and
in tests/insights/test_leadtime.py)."""

from __future__ import annotations

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.errors import NotFound
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import DoraPolicy, ReachedBy, WorkLoop
from digital_factory.portfolio import service as portfolio
from tests.insights.flow_builders import Script
from tests.insights.loop_world import loop_world
from tests.portfolio.builders import ready_epic

DAYS = 86400.0
HOURS = 3600.0
ALL_WAYS = [ReachedBy.CATALOG, ReachedBy.FLAG, ReachedBy.DEPLOYMENT]


def _deployments(loop: WorkLoop) -> dict[str, dict[str, tuple[str, str] | None]]:
    return {
        s.key: {
            e.environment: (e.deployment.version, e.deployment.status) if e.deployment else None for e in s.environments
        }
        for s in loop.services
    }


def _flags(loop: WorkLoop) -> list[tuple[str, str, str, dict[str, float]]]:
    return [(f.service, f.key, f.feature, {e.environment: e.exposure for e in f.environments}) for f in loop.flags]


def test_the_epic_loop_shows_who_and_what_serves_it(runtime: Runtime) -> None:
    w = loop_world(runtime)
    with runtime.store.unit_of_work(w.script.reader(), write=False) as uow:
        loop = insights.epic_loop(uow, w.epic.lower(), DoraPolicy(), insights.Thresholds())
        decisions = portfolio.list_decisions(uow, w.epic)
    assert (loop.scope, loop.key, loop.epic) == ("epic", w.epic, w.epic)
    assert loop.hypothesis is not None  # its leading indicator, evaluated now: no data behind it yet
    assert (loop.hypothesis.epic, loop.hypothesis.status) == (w.epic, "no-data")
    assert [(s.key, s.owner_team, s.serves, s.reached_by) for s in loop.services] == [
        ("hangar", "power-systems", [w.f2], ALL_WAYS),
        ("rotor", "flight-software", [w.epic], ALL_WAYS),
    ]
    hangar = loop.services[0]
    assert hangar.latest_run is not None
    assert (hangar.latest_run.commit_message, hangar.latest_run.status) == ("run-2", "failed")
    assert loop.services[1].latest_run is None
    assert _deployments(loop) == {
        "hangar": {
            "dev": ("v1.2.0", "succeeded"),
            "staging": ("v1.2.0", "succeeded"),
            "prod": ("v1.2.0", "failed"),
        },
        "rotor": {"staging": None, "production": ("b" * 12, "succeeded")},
    }
    assert [e.is_production for e in hangar.environments] == [False, False, True]
    assert _flags(loop) == [
        ("hangar", "hangar-doors", w.f2, {"dev": 0.0, "staging": 0.0, "prod": 25.0}),
        ("rotor", "cargo-bay", w.f1, {"staging": 100.0, "production": 100.0}),
    ]
    assert [(f.key, f.team, f.services, f.flags) for f in loop.features] == [
        (w.f1, "flight-software", ["rotor"], ["rotor/cargo-bay"]),
        (w.f2, "flight-software", ["hangar", "rotor"], ["hangar/hangar-doors"]),
    ]
    assert [(t.key, t.features, t.services) for t in loop.teams] == [
        ("flight-software", [w.f1, w.f2], ["rotor"]),
        ("power-systems", [], ["hangar"]),
    ]
    assert loop.lead_time is not None
    assert (loop.lead_time.to_first_seconds, loop.lead_time.to_all_seconds) == (4 * DAYS + HOURS, 7 * DAYS)
    assert [f.lead_time.lead_time_seconds for f in loop.features] == [7 * DAYS, 4 * DAYS + HOURS]
    assert [(i.key, i.service, i.title, i.status) for i in loop.incidents] == [
        (w.incident, "hangar", "Doors stuck", "open")
    ]
    assert loop.decisions == decisions


def test_the_epic_loop_carries_dora_of_the_deployments_carrying_its_work(runtime: Runtime) -> None:
    w = loop_world(runtime)
    with runtime.store.unit_of_work(w.script.reader(), write=False) as uow:
        dora = insights.epic_loop(uow, w.epic, DoraPolicy()).dora
    f = dora.figures
    # production deployments carrying its changes: rotor a (d6), rotor b (d12), hangar v1.1.0 (d16) succeeded,
    # hangar v1.2.0 (d17) failed; lead times 2 d 1 h, 5 d 2 h, 3 d
    assert (dora.scope, dora.key, dora.services) == ("epic", w.epic, ["hangar", "rotor"])
    assert (f.deployment_frequency.deployments, f.deployment_frequency.sample_size) == (3, 3)
    assert (f.change_lead_time.value, f.change_lead_time.sample_size) == (3 * DAYS, 3)
    assert (f.change_fail_rate.value, f.change_fail_rate.sample_size) == (0.25, 4)


def test_a_feature_loop_is_its_slice(runtime: Runtime) -> None:
    w = loop_world(runtime)
    with runtime.store.unit_of_work(w.script.reader(), write=False) as uow:
        loop = insights.feature_loop(uow, w.f2, DoraPolicy())
    assert (loop.scope, loop.key, loop.epic, loop.lead_time, loop.decisions) == ("feature", w.f2, w.epic, None, [])
    # rotor serves the epic, not F2 in the catalog; it shipped a change naming F2 (sha a)
    assert [(s.key, s.serves, s.reached_by) for s in loop.services] == [
        ("hangar", [w.f2], ALL_WAYS),
        ("rotor", [], [ReachedBy.DEPLOYMENT]),
    ]
    assert _flags(loop) == [("hangar", "hangar-doors", w.f2, {"dev": 0.0, "staging": 0.0, "prod": 25.0})]
    (feature,) = loop.features
    assert (feature.lead_time.exposed_by, feature.lead_time.lead_time_seconds) == ("deployment", 4 * DAYS + HOURS)
    f = loop.dora.figures
    assert (loop.dora.scope, loop.dora.key) == ("feature", w.f2)
    assert (f.deployment_frequency.sample_size, f.change_lead_time.sample_size) == (2, 2)
    assert f.change_lead_time.value == 2.5 * DAYS + 0.5 * HOURS  # median of 2 d 1 h and 3 d
    assert f.change_fail_rate.value == pytest.approx(1 / 3) and f.change_fail_rate.sample_size == 3
    assert [i.key for i in loop.incidents] == [w.incident]


def test_a_loop_with_nothing_serving_it_is_empty(runtime: Runtime) -> None:
    s = Script(runtime)
    epic = ready_epic(runtime, s.board, "Quiet").key
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        loop = insights.epic_loop(uow, epic, DoraPolicy())
    assert (loop.features, loop.services, loop.flags, loop.teams, loop.incidents) == ([], [], [], [], [])
    assert loop.lead_time is not None and loop.lead_time.to_first_seconds is None
    assert loop.dora.figures.deployment_frequency.sample_size == 0


def test_unknown_keys_are_not_found(runtime: Runtime) -> None:
    s = Script(runtime)
    with runtime.store.unit_of_work(s.reader(), write=False) as uow:
        with pytest.raises(NotFound):
            insights.epic_loop(uow, "EPIC-99", DoraPolicy())
        with pytest.raises(NotFound):
            insights.feature_loop(uow, "FEAT-99", DoraPolicy())
