"""/insights: DORA and flow figures, value lead time, hypothesis evaluations, attribution and the board pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse, Response

from digital_factory.api.context import CurrentActor, Reading, runtime
from digital_factory.api.portfolio import moving
from digital_factory.core.errors import ValidationFailed
from digital_factory.core.schemas import Moment
from digital_factory.insights import service as insights
from digital_factory.insights.schemas import (
    COHORT_LABEL,
    Attribution,
    AttributionQuery,
    CumulativeFlow,
    DoraBucket,
    DoraReport,
    FlowMetrics,
    HypothesisDecision,
    HypothesisEvaluation,
    RescoreSuggestion,
    ThemeKeyResults,
    ValueLeadTimes,
    ValueStreamMap,
)
from digital_factory.portfolio.schemas import DecisionResult, WorkLevel

router = APIRouter(prefix="/insights", tags=["insights"])


# --- attribution and the board pack ------------------------------------------------------------------------


@router.get("/attribution")
def attribution(
    uow: Reading,
    kpi: Annotated[str, Query(max_length=1000, description="e.g. `sum(business.units_sold[1d])`: one sample a day.")],
    feature: Annotated[str | None, Query(max_length=40)] = None,
    flag: Annotated[str | None, Query(max_length=100)] = None,
    service: Annotated[str | None, Query(max_length=64)] = None,
    days: Annotated[int, Query(ge=1, le=90, description="Days on each side of a release.")] = 14,
    environment: Annotated[str | None, Query(max_length=40)] = None,
    cohort_label: Annotated[str, Query(max_length=64, description="The event attribute naming the variant.")] = (
        COHORT_LABEL
    ),
) -> Attribution:
    """The KPI before and after each of the newest releases of a feature, flag or service (equal windows),
    and each on variant against the off variant, with Welch's 95 % interval or "not enough data"."""
    query = AttributionQuery(
        feature=feature,
        flag=flag,
        service=service,
        kpi=kpi,
        days=days,
        environment=environment,
        cohort_label=cohort_label,
    )
    return insights.attribute(uow, query)


@router.get("/board-pack", response_class=Response, responses={200: {"content": {"text/html": {}}}})
def board_pack(
    request: Request,
    uow: Reading,
    period: Annotated[str, Query(max_length=20, description="A quarter (2026-Q4), a month (2026-11) or a year.")],
) -> Response:
    """The board pack of the period as one self-contained HTML file (an attachment)."""
    running = runtime(request)
    pack = insights.board_pack(uow, period, insights.PackPolicies(dora=running.dora, theta=running.hypotheses))
    return Response(
        insights.render_board_pack(pack),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{insights.pack_filename(pack)}"'},
    )


# --- hypotheses: live evaluation, key results, the board's decisions, WSJF feedback -----------------


@router.get("/epics/{key}/hypothesis")
def epic_hypothesis(request: Request, uow: Reading, key: str) -> HypothesisEvaluation:
    """The epic's leading indicators evaluated now on the metric store: values, sample sizes, progress,
    statuses, charts; the hypothesis score, status and recommendation (persevere, pivot, stop)."""
    return insights.evaluate_hypothesis(uow, key, runtime(request).hypotheses)


@router.get("/hypotheses")
def hypotheses_in_test(request: Request, uow: Reading) -> list[HypothesisEvaluation]:
    """Every epic in Implementing with leading indicators, evaluated now (without charts and sample sizes)."""
    return insights.hypotheses_in_test(uow, runtime(request).hypotheses)


@router.get("/themes/{key}/key-results")
def theme_key_results(uow: Reading, key: str) -> ThemeKeyResults:
    """The theme's key results with the current values of their metric queries."""
    return insights.key_results(uow, key)


@router.post(
    "/epics/{key}/hypothesis/decisions",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionResult,
    responses={409: {"description": "The decision's move is refused (see the portfolio decisions endpoint)."}},
)
def decide_on_hypothesis(
    request: Request, actor: CurrentActor, key: str, data: HypothesisDecision
) -> DecisionResult | JSONResponse:
    """Record a board decision (needs portfolio:decide) with the evaluation the deciders saw; without
    `evaluation`, the evaluation made now is recorded with it."""
    theta = runtime(request).hypotheses
    return moving(request, actor, lambda uow: insights.decide_on_hypothesis(uow, key, data, theta))


@router.get("/wsjf-feedback")
def wsjf_feedback(request: Request, uow: Reading) -> list[RescoreSuggestion]:
    """Epics in Implementing or Done whose outcomes diverge from the user-business value they were scored
    with: a suggestion to re-score, with the reason."""
    return insights.rescore_suggestions(uow, runtime(request).hypotheses)


# --- flow, the value stream map and value lead time ---------------------------------------------------

TeamParam = Annotated[str | None, Query(max_length=64, description="Team key: that team's items.")]
StreamParam = Annotated[str | None, Query(max_length=64, description="Value stream key: work linked to its services.")]
EpicParam = Annotated[str | None, Query(max_length=40, description="Epic key, e.g. EPIC-3.")]
LevelParam = Annotated[WorkLevel, Query(description="Count features or stories.")]
StartParam = Annotated[Moment | None, Query(description="Window start (default: 30 days before end).")]
EndParam = Annotated[Moment | None, Query(description="Window end, exclusive (default and latest: now).")]


@dataclass(frozen=True)
class FlowWindow:
    """What a flow route measures (scope and level) and over which window."""

    query: insights.FlowQuery
    start: datetime | None
    end: datetime | None


def flow_window(
    team: TeamParam = None,
    value_stream: StreamParam = None,
    epic: EpicParam = None,
    level: LevelParam = WorkLevel.FEATURE,
    start: StartParam = None,
    end: EndParam = None,
) -> FlowWindow:
    return FlowWindow(insights.FlowQuery(team=team, value_stream=value_stream, epic=epic, level=level), start, end)


FlowParams = Annotated[FlowWindow, Depends(flow_window)]


@router.get("/flow")
def flow_metrics(uow: Reading, flow: FlowParams) -> FlowMetrics:
    """Flow velocity, time, load, efficiency and distribution of a team, value stream or epic (or all)."""
    return insights.flow_metrics(uow, flow.query, start=flow.start, end=flow.end)


@router.get("/flow/cfd")
def cumulative_flow(uow: Reading, flow: FlowParams) -> CumulativeFlow:
    """The cumulative flow diagram: per day, the items in each flow state."""
    return insights.cumulative_flow(uow, flow.query, start=flow.start, end=flow.end)


@router.get("/value-stream-map")
def value_stream_map(uow: Reading, value_stream: StreamParam = None, epic: EpicParam = None) -> ValueStreamMap:
    """Idea to production in stages, waiting versus active time per stage, the slowest marked."""
    return insights.value_stream_map(uow, value_stream=value_stream, epic=epic)


@router.get("/value-lead-time")
def value_lead_time(uow: Reading, epic: EpicParam = None, value_stream: StreamParam = None) -> ValueLeadTimes:
    """Epic approved (entered Implementing) to customers first exposed, per feature and per epic."""
    return insights.value_lead_time(uow, epic=epic, value_stream=value_stream)


# --- DORA ---------------------------------------------------------------------------------------------

ScopeKey = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/dora")
def dora(
    request: Request,
    uow: Reading,
    service: ScopeKey = None,
    team: ScopeKey = None,
    value_stream: ScopeKey = None,
    epic: ScopeKey = None,
    feature: ScopeKey = None,
    start: Moment | None = None,
    end: Moment | None = None,
    period: Annotated[
        str | None,
        Query(max_length=20, description="`2026`, `2026-Q4`, `2026-11` or `2026-W48`, instead of start/end."),
    ] = None,
    bucket: DoraBucket = DoraBucket.WEEK,
) -> DoraReport:
    """DORA's five figures with sample sizes and bands, per service and per trend bucket, for one scope (at
    most one of service, team, value_stream, epic, feature; none: every service) over [start, end) (default: the last
    90 days)."""
    if period is not None:
        if start is not None or end is not None:
            raise ValidationFailed.on("period", "give a period or start/end, not both")
        start, end = insights.period_bounds(period)
    return insights.dora_report(
        uow,
        runtime(request).dora,
        service=service,
        team=team,
        value_stream=value_stream,
        epic=epic,
        feature=feature,
        start=start,
        end=end,
        bucket=bucket,
    )
