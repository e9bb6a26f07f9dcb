"""The board pack's sections on the loop's feedback: each epic's hypothesis evaluated on live data, DORA's
five figures and the flow measures with value lead time over the period. Each reads the same use-case its
page and API read, so the pack and the dashboards never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from digital_factory.insights.boardpack_period import Period
from digital_factory.insights.dora import dora_report
from digital_factory.insights.dora_schemas import DoraFigures, DoraPolicy, DoraReport
from digital_factory.insights.evaluation import Thresholds
from digital_factory.insights.flow import FlowQuery, flow_metrics
from digital_factory.insights.flow_schemas import FlowMetrics
from digital_factory.insights.hypotheses import evaluate_set
from digital_factory.insights.hypothesis_schemas import HypothesisEvaluation
from digital_factory.insights.leadtime import value_lead_time
from digital_factory.insights.leadtime_schemas import EpicLeadTime
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Epic, EpicState
from digital_factory.store.uow import UnitOfWork

UNDER_TEST = frozenset({EpicState.IMPLEMENTING, EpicState.DONE})
"""Epics whose hypotheses the pack evaluates: the MVP is under test, or its verdict is in."""


@dataclass(frozen=True)
class PackPolicies:
    """The settings the pack's figures are read with: DORA's band year and rollback rule, the θ of the
    hypothesis recommendation. The same ones the pages use."""

    dora: DoraPolicy = field(default_factory=DoraPolicy)
    theta: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class HypothesesSection:
    """Every epic under test with leading indicators: status, score, recommendation, each indicator's value."""

    evaluations: list[HypothesisEvaluation]
    block: str = "hypotheses"
    title: str = "Hypotheses evaluated"


@dataclass(frozen=True)
class DoraSection:
    """DORA over the period for every service, per-metric bands of the chosen report year; None when the
    period has not begun."""

    report: DoraReport | None
    block: str = "dora"
    title: str = "Delivery performance (DORA)"

    @property
    def figures(self) -> DoraFigures | None:
        return self.report.figures if self.report else None


@dataclass(frozen=True)
class FlowSection:
    """The five flow measures of every feature over the period (up to now), and value lead time per epic."""

    flow: FlowMetrics | None
    lead_times: list[EpicLeadTime]
    block: str = "flow"
    title: str = "Flow and value lead time"


def period_span(uow: UnitOfWork, period: Period) -> tuple[datetime, datetime] | None:
    """[start, min(end, now)) of the period in UTC; None when it has not begun (nothing to measure yet)."""
    start = datetime.combine(period.start, time(), UTC)
    end = min(datetime.combine(period.end, time(), UTC), uow.clock.now())
    return (start, end) if start < end else None


def hypotheses_section(uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies) -> HypothesesSection:
    sets = portfolio.indicator_sets(uow, states=sorted(UNDER_TEST))
    found = [evaluate_set(uow, s, policies.theta, charts=False, samples=True) for s in sets if s.indicators]
    order = {e.key: index for index, e in enumerate(epics)}  # the pack's epic order: highest WSJF first
    return HypothesesSection(sorted(found, key=lambda e: (order.get(e.epic, len(order)), e.epic)))


def dora_section(uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies) -> DoraSection:
    span = period_span(uow, period)
    if span is None:
        return DoraSection(None)
    return DoraSection(dora_report(uow, policies.dora, start=span[0], end=span[1]))


def flow_section(uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies) -> FlowSection:
    span = period_span(uow, period)
    flow = flow_metrics(uow, FlowQuery(), start=span[0], end=span[1]) if span else None
    approved = [e.key for e in epics if e.state in UNDER_TEST]
    return FlowSection(flow, [lead for key in approved for lead in value_lead_time(uow, epic=key).epics])
