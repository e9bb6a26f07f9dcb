"""Hypothesis evaluation on the stored data, re-read on every call; theme key results; the board's decision
kept with the evaluation it saw; WSJF feedback. Data made through the portfolio and telemetry use-cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import HypothesisDecision, HypothesisEvaluation, HypothesisStatus
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import DecisionKind, KeyResultSpec, ThemeCreate
from tests.insights.hypotheses_world import CALLS, calls, metric, sell, units
from tests.portfolio.builders import HYPOTHESIS, epic, move, people, ready_epic, update
from tests.telemetry.builders import make_service

THETA = insights.Thresholds()


def _evaluate(runtime: Runtime, actor: Actor, key: str) -> HypothesisEvaluation:
    with runtime.store.unit_of_work(actor, write=False) as uow:
        return insights.evaluate_hypothesis(uow, key, THETA)


def test_an_indicator_moves_from_no_data_to_on_track_to_validated_as_data_arrives(runtime: Runtime) -> None:
    _, product = people(runtime)
    make_service(runtime)
    made = epic(runtime, product, leading_indicators=[units(50)])
    first = _evaluate(runtime, product, made.key)
    assert [(i.observed, i.sample_size, i.status) for i in first.indicators] == [(None, 0, "no-data")]
    assert (first.score, first.status) == (0.0, HypothesisStatus.NO_DATA)

    sell(runtime, 12, 8)  # 20 of 50: progress 0.4, far ahead of the few seconds of window gone
    sell(runtime, 30, product="light")  # another product: not this indicator's
    second = _evaluate(runtime, product, made.key)
    [units_] = second.indicators
    assert (units_.observed, units_.sample_size, units_.progress, units_.status) == (20, 2, 0.4, "on-track")
    assert (second.score, second.status, second.recommendation) == (0.4, "on-track", "pivot")

    sell(runtime, 35, hours_ago=0.5)  # 55 ≥ 50: target reached
    third = _evaluate(runtime, product, made.key)
    [units_] = third.indicators
    assert (units_.observed, units_.sample_size, units_.progress, units_.status) == (55, 3, 1.1, "validated")
    assert (third.score, third.status, third.recommendation) == (1.0, "validated", "persevere")


def test_a_decreasing_indicator_and_weights(runtime: Runtime) -> None:
    _, product = people(runtime)
    make_service(runtime)
    made = epic(runtime, product, leading_indicators=[units(50, weight=3), calls()])
    sell(runtime, 25)  # units: 25/50 = 0.5
    metric(runtime, "support.calls", 100, 150)  # calls: 250, (400-250)/(400-100) = 0.5
    result = _evaluate(runtime, product, made.key)
    assert [(i.name, i.observed, i.progress) for i in result.indicators] == [
        ("Heavy-lift units", 25, 0.5),
        ("Support calls", 250, 0.5),
    ]
    assert result.score == 0.5  # (3·0.5 + 1·0.5) / 4
    metric(runtime, "support.calls", -200)  # 50 calls: beyond the target, progress 1.167 counted as 1
    again = _evaluate(runtime, product, made.key)
    assert [i.status for i in again.indicators] == ["on-track", "validated"]
    assert again.score == pytest.approx((3 * 0.5 + 1) / 4)
    chart = again.indicators[1].chart
    assert [line.label for line in chart] == [CALLS]
    assert sum(p.value or 0 for p in chart[0].points) == 50  # the points behind the value


def test_a_passed_deadline_judges_the_data_up_to_it(runtime: Runtime) -> None:
    _, product = people(runtime)
    make_service(runtime)
    yesterday = date.today() - timedelta(days=2)
    made = epic(runtime, product, leading_indicators=[units(50, deadline=yesterday, critical=True)])
    sell(runtime, 10, hours_ago=24 * 4)  # before the deadline: counted
    sell(runtime, 90, hours_ago=1)  # after the deadline: too late for this hypothesis
    result = _evaluate(runtime, product, made.key)
    [units_] = result.indicators
    assert (units_.observed, units_.progress, units_.status) == (10, 0.2, "invalidated")
    assert (result.score, result.status, result.recommendation) == (0.2, "invalidated", "stop")


def test_theme_key_results_show_current_values(runtime: Runtime) -> None:
    board, _ = people(runtime)
    make_service(runtime)
    with runtime.store.unit_of_work(board) as uow:
        theme = portfolio.create_theme(
            uow,
            ThemeCreate(
                objective="Lead heavy-lift logistics",
                key_results=[
                    KeyResultSpec(
                        description="Units", metric_query="sum(business.units_sold[30d])", baseline=10, target=110
                    ),
                    KeyResultSpec(description="Partners signed", target=5),
                ],
            ),
        )
    sell(runtime, 40, 20)
    with runtime.store.unit_of_work(board, write=False) as uow:
        result = insights.key_results(uow, theme.key)
    assert [(k.description, k.observed, k.sample_size, k.progress) for k in result.key_results] == [
        ("Units", 60, 2, 0.5),  # (60-10)/(110-10)
        ("Partners signed", None, None, None),
    ]


def test_the_decision_keeps_the_evaluation_the_board_saw(runtime: Runtime) -> None:
    board, product = people(runtime)
    make_service(runtime)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    sell(runtime, 20)
    with runtime.store.unit_of_work(board, write=False) as uow:
        seen = insights.snapshot_of(insights.evaluate_hypothesis(uow, made.key, THETA))
    sell(runtime, 40)  # more data after the board looked: the record keeps what it saw
    with runtime.store.unit_of_work(board) as uow:
        data = HypothesisDecision(kind=DecisionKind.PIVOT, rationale="Too slow", evaluation=seen)
        result = insights.decide_on_hypothesis(uow, made.key, data, THETA)
    assert result.epic.state == "reviewing"
    with runtime.store.unit_of_work(product, write=False) as uow:
        decisions = portfolio.list_decisions(uow, made.key)
    last = decisions[-1]
    assert last.kind == "pivot"
    assert last.evidence == {"Heavy-lift units sold": 20.0}
    assert last.evaluation is not None
    assert (last.evaluation.score, last.evaluation.status, last.evaluation.recommendation) == (0.4, "on-track", "pivot")
    assert [(i.name, i.observed, i.status, i.sample_size) for i in last.evaluation.indicators] == [
        ("Heavy-lift units sold", 20.0, "on-track", 1)
    ]
    assert last.evaluation.evaluated_at == seen.evaluated_at


def test_without_a_snapshot_the_evaluation_made_now_is_recorded(runtime: Runtime) -> None:
    board, _ = people(runtime)
    make_service(runtime)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    sell(runtime, 45, 10)  # 55 of 50
    with runtime.store.unit_of_work(board) as uow:
        data = HypothesisDecision(kind=DecisionKind.PERSEVERE, rationale="Selling")
        result = insights.decide_on_hypothesis(uow, made.key, data, THETA)
    assert result.decision.evaluation is not None
    assert result.decision.evaluation.recommendation == "persevere"
    assert result.decision.evidence == {"Heavy-lift units sold": 55.0}


def test_a_snapshot_of_other_indicators_or_from_the_future_is_refused(runtime: Runtime) -> None:
    board, _ = people(runtime)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    with runtime.store.unit_of_work(board, write=False) as uow:
        seen = insights.snapshot_of(insights.evaluate_hypothesis(uow, made.key, THETA))
    renamed = seen.model_copy(update={"indicators": [seen.indicators[0].model_copy(update={"name": "Other"})]})
    future = seen.model_copy(update={"evaluated_at": seen.evaluated_at + timedelta(hours=1)})
    for snapshot, field in ((renamed, "evaluation.indicators"), (future, "evaluation.evaluated_at")):
        with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(board) as uow:
            insights.decide_on_hypothesis(
                uow, made.key, HypothesisDecision(kind=DecisionKind.STOP, rationale="x", evaluation=snapshot), THETA
            )
        assert [p.field for p in refused.value.problems] == [field]


def test_only_the_board_decides(runtime: Runtime) -> None:
    board, product = people(runtime)
    made = ready_epic(runtime, board)
    move(runtime, board, made.key, "implementing")
    with pytest.raises(PermissionDenied), runtime.store.unit_of_work(product) as uow:
        insights.decide_on_hypothesis(uow, made.key, HypothesisDecision(kind=DecisionKind.STOP, rationale="x"), THETA)


def test_wsjf_feedback_suggests_lowering_a_high_value_whose_hypothesis_failed(runtime: Runtime) -> None:
    board, product = people(runtime)
    make_service(runtime)
    made = ready_epic(runtime, board)  # user-business value 20
    move(runtime, board, made.key, "implementing")
    update(runtime, board, made.key, leading_indicators=[units(50, deadline=date.today() - timedelta(days=2))])
    sell(runtime, 5, hours_ago=24 * 4)
    low = epic(runtime, product, "Spare parts")  # no indicators: never suggested
    with runtime.store.unit_of_work(product, write=False) as uow:
        suggestions = insights.rescore_suggestions(uow, THETA)
    assert [(s.epic, s.user_business_value, s.status, s.suggestion) for s in suggestions] == [
        (made.key, 20, "invalidated", "lower")
    ]
    assert suggestions[0].score == 0.1
    assert low.key not in {s.epic for s in suggestions}


def test_a_decision_on_an_epic_without_indicators_records_no_evaluation(runtime: Runtime) -> None:
    board, product = people(runtime)
    made = epic(runtime, product, hypothesis=HYPOTHESIS)
    move(runtime, board, made.key, "reviewing")
    with runtime.store.unit_of_work(board) as uow:
        data = HypothesisDecision(kind=DecisionKind.NO_GO, rationale="Not for us")
        result = insights.decide_on_hypothesis(uow, made.key, data, THETA)
    assert (result.decision.kind, result.decision.evaluation, result.decision.evidence) == ("no-go", None, {})
