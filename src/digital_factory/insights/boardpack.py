"""The board pack: an ordered list of sections, each a function (uow, period, epics, policies) → a small
dataclass that the pack's template renders with the macro its `block` names. A new section is one more
function in `SECTIONS` and one more macro in `board_pack.html` (and an include for the board dashboard)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.catalog import service as catalog
from digital_factory.core.metricquery import Aggregate, QueryError, Selector, parse
from digital_factory.core.pagination import MAX_PAGE_SIZE, PageRequest
from digital_factory.insights.attribution import attribute
from digital_factory.insights.attribution_schemas import AttributionQuery, ReleaseAttribution
from digital_factory.insights.boardpack_loop import (
    DoraSection,
    FlowSection,
    HypothesesSection,
    PackPolicies,
    dora_section,
    flow_section,
    hypotheses_section,
)
from digital_factory.insights.boardpack_period import Period, parse_period
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import Epic, EpicFilter, EpicState, EpicSummary
from digital_factory.store.uow import UnitOfWork

BOARD_DECISIONS = frozenset({"persevere", "pivot", "stop"})
"""The decisions that answer an epic's hypothesis (go and no-go are earlier gates)."""
ATTRIBUTION_DAYS = 14
MAX_EPICS = 1000


@dataclass(frozen=True)
class EpicStatus:
    key: str
    title: str
    state: str
    column: str
    owner: str | None
    wsjf: float | None
    hypothesis: str
    indicators: int


@dataclass(frozen=True)
class EpicsSection:
    """Every epic's state, WSJF and hypothesis in a line; the count per state for the chart."""

    epics: list[EpicStatus]
    per_state: list[tuple[str, int]]
    block: str = "epics"
    title: str = "Epics"


@dataclass(frozen=True)
class DecisionDue:
    key: str
    title: str
    state: str
    deadline: date
    overdue: bool  # the deadline passed before the period began
    indicators: list[str]


@dataclass(frozen=True)
class DecisionsSection:
    """Epics whose indicator deadlines fall in or before the period and that have no board decision yet."""

    due: list[DecisionDue]
    block: str = "decisions"
    title: str = "Decisions due"


@dataclass(frozen=True)
class AttributionRow:
    epic: str
    feature: str | None
    indicator: str
    kpi: str
    release: ReleaseAttribution


@dataclass(frozen=True)
class AttributionSection:
    """Each release in the period of a flag of an epic's features in the environment its customers use
    (the service's last in promotion order), against each of the epic's indicators."""

    rows: list[AttributionRow]
    days: int = ATTRIBUTION_DAYS
    block: str = "attribution"
    title: str = "Attribution"


Section = EpicsSection | HypothesesSection | DecisionsSection | DoraSection | FlowSection | AttributionSection
SectionBuilder = Callable[[UnitOfWork, Period, list[Epic], PackPolicies], Section]


@dataclass(frozen=True)
class BoardPack:
    period: Period
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)


def board_pack(uow: UnitOfWork, period: str, policies: PackPolicies | None = None) -> BoardPack:
    """The board pack of `period` (2026-Q4, 2026-11, 2026) from the store as it is now, its figures read
    with `policies` (the server's settings; the defaults without)."""
    require(uow.actor, Permission.READ)
    span = parse_period(period)
    epics = all_epics(uow)
    rules = policies or PackPolicies()
    return BoardPack(span, uow.clock.now(), [build(uow, span, epics, rules) for build in SECTIONS])


def all_epics(uow: UnitOfWork) -> list[Epic]:
    """Every epic in full (indicators, hypothesis), highest WSJF first, then by key."""
    summaries: list[EpicSummary] = []
    while len(summaries) < MAX_EPICS:
        page = portfolio.list_epics(uow, EpicFilter(), PageRequest(limit=MAX_PAGE_SIZE, offset=len(summaries)))
        summaries += page.items
        if len(summaries) >= page.total or not page.items:
            break
    summaries.sort(key=lambda e: (-(e.score.wsjf if e.score else -1.0), e.key))
    return [portfolio.get_epic(uow, e.key) for e in summaries]


def epics_section(uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies) -> EpicsSection:
    rows = [
        EpicStatus(
            key=e.key,
            title=e.title,
            state=str(e.state),
            column=e.column,
            owner=e.owner,
            wsjf=e.score.wsjf if e.score else None,
            hypothesis=hypothesis_line(e),
            indicators=len(e.leading_indicators),
        )
        for e in epics
    ]
    counts = Counter(str(e.state) for e in epics)
    order = [str(state) for state in EpicState]
    per_state = [(state, counts[state]) for state in order if counts[state]]
    per_state += sorted((s, n) for s, n in counts.items() if s not in order)
    return EpicsSection(rows, per_state)


def hypothesis_line(epic: Epic) -> str:
    """The hypothesis in one line: for whom, and the key benefit (empty when not written yet)."""
    h = epic.hypothesis
    parts = [f"for {h.for_customers}" if h.for_customers else "", f"that {h.that}" if h.that else ""]
    return ", ".join(p for p in parts if p)


def decisions_section(uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies) -> DecisionsSection:
    due: list[DecisionDue] = []
    for epic in epics:
        deadlines = [i for i in epic.leading_indicators if i.deadline < period.end]
        if not deadlines or str(epic.state) == "done":
            continue
        if any(str(d.kind) in BOARD_DECISIONS for d in portfolio.list_decisions(uow, epic.key)):
            continue
        first = min(i.deadline for i in deadlines)
        names = [i.name for i in sorted(deadlines, key=lambda i: (i.deadline, i.name))]
        due.append(DecisionDue(epic.key, epic.title, epic.column, first, first < period.start, names))
    due.sort(key=lambda d: (d.deadline, d.key))
    return DecisionsSection(due)


def daily(metric_query: str) -> str | None:
    """An indicator's query with a one-day window (a sample a day), or None for a ratio or a bad query."""
    try:
        parsed = parse(metric_query)
    except QueryError:
        return None
    if not isinstance(parsed, Aggregate):
        return None
    selector = Selector(parsed.selector.metric, parsed.selector.matchers, timedelta(days=1), "1d")
    return str(Aggregate(parsed.aggregation, selector))


def attribution_section(
    uow: UnitOfWork, period: Period, epics: list[Epic], policies: PackPolicies
) -> AttributionSection:
    start = datetime.combine(period.start, time(), UTC)
    end = datetime.combine(period.end, time(), UTC)
    rows: list[AttributionRow] = []
    for epic in epics:
        kpis = [(i.name, q) for i in epic.leading_indicators if (q := daily(i.metric_query))]
        if not kpis:
            continue
        features = portfolio.list_features(uow, PageRequest(limit=MAX_PAGE_SIZE), epic=epic.key).items
        for feature in features:
            for name, kpi in kpis:
                found = attribute(uow, AttributionQuery(feature=feature.key, kpi=kpi, days=ATTRIBUTION_DAYS))
                rows += [
                    AttributionRow(epic.key, feature.key, name, kpi, r) for r in found.releases if start <= r.at < end
                ]
    live = _customer_environments(uow, {r.release.service for r in rows})
    rows = [r for r in rows if live.get(r.release.service) == r.release.environment]
    rows.sort(key=lambda r: (r.epic, r.release.at, r.indicator))
    return AttributionSection(rows)


def _customer_environments(uow: UnitOfWork, services: set[str]) -> dict[str, str]:
    """Each service's last environment in promotion order: where its customers are (and where business
    events that name no environment are kept)."""
    found: dict[str, str] = {}
    for service in sorted(services):
        environments = catalog.list_environments(uow, service)
        if environments:
            found[service] = environments[-1].name
    return found


SECTIONS: list[SectionBuilder] = [
    epics_section,
    hypotheses_section,
    decisions_section,
    dora_section,
    flow_section,
    attribution_section,
]
"""The pack's sections in order: where the portfolio stands, whether its bets pay off, what the board must
decide, how delivery and flow perform, what releases did to the KPIs."""
