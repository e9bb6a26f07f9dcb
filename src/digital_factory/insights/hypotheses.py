"""Hypothesis evaluation on every read: each epic's leading indicators evaluated on the metric store through
the telemetry face, judged by the formulas in `evaluation`, and the board's decisions recorded with the
evaluation they were based on (through portfolio's decision use-case)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from digital_factory.core.metricquery import Aggregate, Query, Ratio, parse
from digital_factory.core.schemas import copied
from digital_factory.insights import evaluation as formulas
from digital_factory.insights.evaluation import Judged, Thresholds, deadline_end
from digital_factory.insights.hypothesis_schemas import (
    CardEvaluation,
    ChartLine,
    ChartPoint,
    HypothesisDecision,
    HypothesisEvaluation,
    IndicatorEvaluation,
    KeyResultValue,
    ThemeKeyResults,
)
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    DecisionCreate,
    DecisionKind,
    DecisionResult,
    Direction,
    EpicState,
    EvaluationSnapshot,
    Indicator,
    IndicatorEvidence,
    IndicatorSet,
    KeyResult,
)
from digital_factory.store import revisions
from digital_factory.store.uow import UnitOfWork
from digital_factory.telemetry import service as telemetry
from digital_factory.telemetry.schemas import Aggregation

CHART_POINTS = 60  # points per chart line at most; the step grows with the window
MIN_STEP_SECONDS = 60
# Chart steps people read at a glance: minutes, hours, days, weeks (the smallest one giving ≤ CHART_POINTS).
NICE_STEPS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400)


# --- one epic --------------------------------------------------------------------------------------


def evaluate_hypothesis(uow: UnitOfWork, key: str, theta: Thresholds, *, charts: bool = True) -> HypothesisEvaluation:
    """The epic's hypothesis evaluated now on the stored data (nothing cached): per indicator its observed
    value, sample size, progress, status and chart; the score, status and recommendation."""
    sets = portfolio.indicator_sets(uow, keys=[key])
    if not sets:
        portfolio.get_epic(uow, key)  # raises the domain's not-found
    return evaluate_set(uow, sets[0], theta, charts=charts)


def evaluate_set(
    uow: UnitOfWork,
    epic: IndicatorSet,
    theta: Thresholds,
    *,
    charts: bool,
    samples: bool = True,
    observed: Sequence[float | None] | None = None,
    now: datetime | None = None,
) -> HypothesisEvaluation:
    """`samples=False` leaves sample sizes out (one query less per indicator) for callers that show none;
    `observed` gives the indicators' values read already at `now` (in bulk, `_observed`), in the epic's
    order."""
    now = now or uow.clock.now()
    if observed is None:
        observed = _observed(uow, [epic], now)
    indicators = [
        _indicator(uow, i, value, epic.window_start, now, charts=charts, samples=samples)
        for i, value in zip(epic.indicators, observed, strict=True)
    ]
    window_end = max((deadline_end(i.deadline) for i in epic.indicators), default=None)
    window_over = window_end is not None and now >= window_end
    result = formulas.verdict([_judged(i) for i in indicators], window_over=window_over, theta=theta)
    return copied(
        HypothesisEvaluation,
        epic,
        epic=epic.key,
        evaluated_at=now,
        window_end=window_end,
        score=result.score,
        status=result.status,
        recommendation=result.recommendation,
        thresholds={"persevere": theta.persevere, "stop": theta.stop},
        indicators=indicators,
    )


def _judged(indicator: IndicatorEvaluation) -> Judged:
    return Judged(indicator.progress, indicator.status, indicator.weight, indicator.critical)


def _read_at(indicator: Indicator, now: datetime) -> datetime:
    """Read at now, or at the deadline once it has passed: the verdict of a past deadline stays put."""
    return min(now, deadline_end(indicator.deadline))


def _observed(uow: UnitOfWork, sets: Sequence[IndicatorSet], now: datetime) -> list[float | None]:
    """Every indicator's value of the epics given, in order, read together (one series read for all)."""
    requests = [(i.metric_query, _read_at(i, now)) for epic in sets for i in epic.indicators]
    return [e.value for e in telemetry.evaluate_many(uow, requests)] if requests else []


def _indicator(
    uow: UnitOfWork,
    indicator: Indicator,
    observed: float | None,
    start: datetime,
    now: datetime,
    *,
    charts: bool,
    samples: bool,
) -> IndicatorEvaluation:
    end = deadline_end(indicator.deadline)
    at = _read_at(indicator, now)
    query = parse(indicator.metric_query) if charts or samples else None
    increase = indicator.direction is Direction.INCREASE
    progress = None
    if observed is not None:
        progress = formulas.progress(observed, indicator.baseline, indicator.target, increase=increase)
    elapsed = formulas.elapsed_share(start, end, now)
    return IndicatorEvaluation(
        **indicator.model_dump(),
        observed=observed,
        evaluated_at=at,
        sample_size=sample_size(uow, query, at) if query is not None and samples else None,
        progress=progress,
        elapsed=elapsed,
        status=formulas.indicator_status(progress, elapsed, deadline_passed=now >= end),
        chart=_chart(uow, query, start, at) if query is not None and charts else [],
    )


def sample_size(uow: UnitOfWork, query: Query, at: datetime) -> int:
    """Points (histogram observations) behind a value: its selector's count over the same window; for a
    ratio, the denominator's (the population the share is taken of)."""
    if isinstance(query, Ratio):
        return sample_size(uow, query.denominator, at)
    counted = telemetry.evaluate(uow, f"count({query.selector})", at=at).value
    return int(counted or 0)


def _aggregates(query: Query) -> list[Aggregate]:
    if isinstance(query, Aggregate):
        return [query]
    return _aggregates(query.numerator) + _aggregates(query.denominator)


def chart_step(span_seconds: float) -> int:
    """The smallest nice step that draws `span_seconds` in at most CHART_POINTS points (whole weeks beyond)."""
    raw = max(MIN_STEP_SECONDS, math.ceil(span_seconds / CHART_POINTS))
    week = NICE_STEPS[-1]
    return next((step for step in NICE_STEPS if step >= raw), math.ceil(raw / week) * week)


def _chart(uow: UnitOfWork, query: Query, window_start: datetime, at: datetime) -> list[ChartLine]:
    """Each metric of the query per step, from the earlier of the window's start and the query window's
    start, to the moment read: the data behind the value."""
    lines = []
    for part in _aggregates(query):
        start = min(window_start, at - part.selector.window)
        span = (at - start).total_seconds()
        if span < 1:
            continue
        step = chart_step(span)
        result = telemetry.query_range(
            uow,
            part.selector.metric,
            start=start,
            end=at,
            step_seconds=step,
            aggregation=Aggregation(part.aggregation),
            matchers=part.selector.matchers,
        )
        points = [ChartPoint(at=p.at, value=p.value) for line in result.series[:1] for p in line.points]
        lines.append(
            ChartLine(
                label=str(part),
                metric=part.selector.metric,
                aggregation=part.aggregation,
                step_seconds=step,
                points=points,
            )
        )
    return lines


# --- many epics: the board's cards ---------------------------------------------------------------


# Card evaluations kept by server processes (`store.reads`) are read again once the portfolio or the metrics
# change (or after `CARD_MAX_AGE`: a rolling window moves with the clock alone).
CARDS_TOPIC = "insights.cards"
CARD_MAX_AGE = 10.0
revisions.watch(CARDS_TOPIC, telemetry.METRIC_TABLES, prefixes=[portfolio.TABLE_PREFIX])


def card_evaluations(uow: UnitOfWork, keys: list[str], theta: Thresholds) -> dict[str, CardEvaluation]:
    """The hypothesis of each epic named that has leading indicators, for the board's cards (no charts)."""
    cards = {}
    for result in _evaluate_sets(uow, portfolio.indicator_sets(uow, keys=keys), theta):
        cards[result.epic] = copied(CardEvaluation, result, indicators={i.name: i.status for i in result.indicators})
    return cards


def hypotheses_in_test(uow: UnitOfWork, theta: Thresholds) -> list[HypothesisEvaluation]:
    """Every epic in Implementing (its MVP under test) with leading indicators, evaluated now (no charts,
    no sample sizes), in key order."""
    results = _evaluate_sets(uow, portfolio.indicator_sets(uow, states=[EpicState.IMPLEMENTING]), theta)
    return sorted(results, key=lambda r: (len(r.epic), r.epic))


def _evaluate_sets(uow: UnitOfWork, sets: list[IndicatorSet], theta: Thresholds) -> list[HypothesisEvaluation]:
    """The epics with indicators among `sets`, evaluated without charts or samples; their indicators'
    values read in bulk (a board of a hundred cards reads the metric store's series once, not per card)."""
    sets, now = [s for s in sets if s.indicators], uow.clock.now()
    values = iter(_observed(uow, sets, now))
    return [
        evaluate_set(uow, s, theta, charts=False, samples=False, observed=[next(values) for _ in s.indicators], now=now)
        for s in sets
    ]


# --- theme key results ---------------------------------------------------------------------------


def key_results(uow: UnitOfWork, theme_key: str) -> ThemeKeyResults:
    """A strategic theme's key results with their current values where they have a metric query."""
    theme = portfolio.get_theme(uow, theme_key)
    now = uow.clock.now()
    return ThemeKeyResults(
        theme=theme.key,
        objective=theme.objective,
        evaluated_at=now,
        key_results=[_key_result(uow, kr, now) for kr in theme.key_results],
    )


def _key_result(uow: UnitOfWork, kr: KeyResult, now: datetime) -> KeyResultValue:
    observed, samples, progress = None, None, None
    if kr.metric_query:
        observed = telemetry.evaluate(uow, kr.metric_query, at=now).value
        samples = sample_size(uow, parse(kr.metric_query), now)
    if observed is not None:
        baseline = kr.baseline or 0.0  # a key result without a baseline counts from zero
        progress = formulas.progress(observed, baseline, kr.target, increase=kr.target >= baseline)
    return KeyResultValue(**kr.model_dump(), observed=observed, sample_size=samples, progress=progress)


# --- the board's decision with its evidence -----------------------------------------------------


def snapshot_of(result: HypothesisEvaluation) -> EvaluationSnapshot:
    """What a decision keeps of an evaluation: values, statuses, score, recommendation and when."""
    return EvaluationSnapshot(
        evaluated_at=result.evaluated_at,
        score=result.score,
        status=str(result.status),
        recommendation=None if result.recommendation is None else DecisionKind(result.recommendation),
        indicators=[copied(IndicatorEvidence, i, status=str(i.status)) for i in result.indicators],
    )


def decide_on_hypothesis(uow: UnitOfWork, key: str, data: HypothesisDecision, theta: Thresholds) -> DecisionResult:
    """Record the board's decision with the evaluation the deciders saw (sent with it), or the evaluation
    made now when none is sent (none for an epic without indicators). Portfolio's decide refuses a snapshot
    of other indicators or from the future."""
    snapshot = data.evaluation
    if snapshot is None:
        now = evaluate_hypothesis(uow, key, theta, charts=False)
        snapshot = snapshot_of(now) if now.indicators else None  # an epic without indicators has no evidence
    evidence = {}
    if snapshot is not None:  # portfolio's decide checks it names the epic's indicators
        evidence = {i.name: i.observed for i in snapshot.indicators if i.observed is not None}
    decision = DecisionCreate(
        kind=data.kind,
        rationale=data.rationale,
        evidence=evidence,
        evaluation=snapshot,
        wip_override_reason=data.wip_override_reason,
    )
    return portfolio.decide(uow, key, decision)
