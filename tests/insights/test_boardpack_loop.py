"""The board pack's feedback sections read what the DORA, flow and hypothesis pages read: the hand-built
DORA data set, an epic under test with sales arriving, the period clipped at now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import system_actor
from digital_factory.insights import service as insights
from digital_factory.insights.boardpack import BoardPack
from digital_factory.insights.boardpack_loop import DoraSection, FlowSection, HypothesesSection
from digital_factory.insights.schemas import DoraPolicy
from tests.insights.dora_world import HOUR, T, build
from tests.insights.hypotheses_world import sell
from tests.portfolio.builders import move, people, ready_epic
from tests.telemetry.builders import make_service

S = TypeVar("S")


def _pack(runtime: Runtime, period: str) -> BoardPack:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return insights.board_pack(uow, period)


def _section(pack: BoardPack, kind: type[S]) -> S:
    return next(s for s in pack.sections if isinstance(s, kind))


def test_the_sections_come_in_the_boards_order(runtime: Runtime) -> None:
    pack = _pack(runtime, "2026-Q4")
    assert [s.block for s in pack.sections] == ["epics", "hypotheses", "decisions", "dora", "flow", "attribution"]


def test_dora_over_the_month_so_far_equals_the_hand_worked_figures(runtime: Runtime) -> None:
    build(runtime)  # the clock stands at T + 14 d (2026-03-16)
    pack = _pack(runtime, "2026-03")
    report = _section(pack, DoraSection).report
    assert report is not None
    assert (report.start, report.end) == (datetime(2026, 3, 1, tzinfo=UTC), T + timedelta(days=14))
    f = report.figures
    # the seven production deployments of the fortnight, over the 15 days of March gone so far
    assert f.deployment_frequency.deployments == 7
    assert f.deployment_frequency.value == pytest.approx(7 / 15)
    assert (f.change_lead_time.value, f.change_lead_time.sample_size) == (6 * HOUR, 9)
    assert (f.change_fail_rate.value, f.change_fail_rate.sample_size) == (3 / 8, 8)
    assert f.failed_deployment_recovery_time.value == 2 * HOUR
    assert (f.deployment_rework_rate.value, f.unlinked_incidents) == (2 / 7, 1)
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        page = insights.dora_report(uow, DoraPolicy(), start=report.start, end=report.end)
    assert page.figures == f  # the pack and the DORA page agree
    html = insights.render_board_pack(pack)
    assert "Delivery performance (DORA)" in html and "6.0 h" in html and "37.5 %" in html


def test_a_period_not_begun_says_so_instead_of_zeros(runtime: Runtime) -> None:
    build(runtime)
    pack = _pack(runtime, "2026-Q4")
    assert _section(pack, DoraSection).report is None and _section(pack, FlowSection).flow is None
    assert insights.render_board_pack(pack).count("The period has not begun") == 2


def test_an_epic_under_test_shows_its_indicator_as_the_data_stands(runtime: Runtime) -> None:
    board, _ = people(runtime)
    make_service(runtime)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    sell(runtime, 12, 8)
    today = runtime.store.clock.now().date()
    period = f"{today.year}-{today.month:02d}"
    [evaluation] = _section(_pack(runtime, period), HypothesesSection).evaluations
    [units] = evaluation.indicators
    assert (evaluation.epic, units.observed, units.sample_size, units.status) == (made.key, 20, 2, "on-track")
    sell(runtime, 40)  # 60 of 50: the next pack shows it validated
    [again] = _section(_pack(runtime, period), HypothesesSection).evaluations
    assert (again.indicators[0].observed, again.indicators[0].status, again.recommendation) == (
        60,
        "validated",
        "persevere",
    )
    html = insights.render_board_pack(_pack(runtime, period))
    assert f'data-hypothesis="{made.key}"' in html and "validated" in html
    [lead] = _section(_pack(runtime, period), FlowSection).lead_times
    assert lead.epic == made.key and lead.approved_at is not None and lead.to_first_seconds is None
