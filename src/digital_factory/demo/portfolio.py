"""The board's strategy and the portfolio: themes, the heavy-lift drone epic with its hypothesis and
leading indicators, other epics spread over the kanban, the three heavy-lift features, and stories for
the two existing teams. History is written over the past months on a back-dated clock, through the
product's own services, as the story's people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from digital_factory.core.clock import Clock, FixedClock
from digital_factory.core.errors import NotFound
from digital_factory.demo.story import DemoContext
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import (
    DataSource,
    DecisionCreate,
    DecisionKind,
    DoneReason,
    EpicCreate,
    EpicUpdate,
    FeatureCreate,
    Hypothesis,
    IndicatorSpec,
    ItemKind,
    KeyResultSpec,
    LeanBusinessCase,
    MoveRequest,
    Recommendation,
    ScoreInput,
    StateChange,
    StoryCreate,
    ThemeCreate,
    WorkState,
)
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate, TeamType

HEAVY_LIFT = "Heavy-lift drones"
FEATURES = ("Modified flight software", "Bigger batteries", "Better engines")
EXISTING_TEAMS = (("flight-software", "Flight Software"), ("power-systems", "Power Systems"))
STORY_DAYS = 150  # how far back the portfolio's history starts
MARKET_SHARE = 'avg(business.market_share{segment="commercial"}[90d])'
HEAVY_LIFT_SALES = 'sum(business.units_sold{{product="heavy-lift"}}[{window}])'


@dataclass
class _Timeline:
    """The last months, played in order on a clock the demo moves forward: each part of the story
    schedules its steps on a day, and the steps run sorted by day, so every history is in time order."""

    clock: FixedClock
    start: datetime
    steps: list[tuple[float, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, day: float, step: Callable[[], object]) -> None:
        self.steps.append((day, len(self.steps), step))

    def play(self) -> None:
        for day, _, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            self.clock.set(self.start + timedelta(days=day))
            step()

    def due(self, days: int) -> date:
        return (self.start + timedelta(days=STORY_DAYS + days)).date()


def seed(ctx: DemoContext) -> None:
    store = ctx.runtime.store
    real: Clock = store.clock
    now = real.now()
    timeline = _Timeline(FixedClock(now - timedelta(days=STORY_DAYS)), now - timedelta(days=STORY_DAYS))
    store.clock = timeline.clock
    try:
        _play(ctx, timeline)
    finally:
        store.clock = real


def _play(ctx: DemoContext, t: _Timeline) -> None:
    themes: dict[str, str] = {}
    keys: dict[str, str] = {}  # epic and feature titles -> their keys, filled as the story runs
    t.at(0, lambda: themes.update(_themes(ctx, t)))
    _heavy_lift(ctx, t, themes, keys)
    for idea in IDEAS:
        _idea(ctx, t, idea, themes, keys)
    t.at(63, lambda: _ensure_teams(ctx))
    t.at(64, lambda: keys.update(_heavy_lift_features(ctx, keys[HEAVY_LIFT])))
    _stories(ctx, t, keys)
    t.play()
    ctx.work.update(keys)


def _run(ctx: DemoContext, who: str, work: Any) -> Any:
    with ctx.runtime.store.unit_of_work(ctx.actor(who)) as uow:
        return work(uow)


def _move(ctx: DemoContext, who: str, key: str, to: str, reason: str = "", **extra: Any) -> None:
    _run(ctx, who, lambda uow: portfolio.move_epic(uow, key, MoveRequest(to=to, reason=reason, **extra)))


def _decide(ctx: DemoContext, key: str, kind: DecisionKind, rationale: str, **evidence: float) -> None:
    data = DecisionCreate(kind=kind, rationale=rationale, evidence=evidence)
    _run(ctx, "board", lambda uow: portfolio.decide(uow, key, data))


def _score(ubv: int, tc: int, rr: int, size: int, note: str = "") -> ScoreInput:
    return ScoreInput(user_business_value=ubv, time_criticality=tc, risk_reduction=rr, job_size=size, note=note)


# --- the board's themes --------------------------------------------------------------------------------


def _themes(ctx: DemoContext, t: _Timeline) -> dict[str, str]:
    specs = _theme_specs(t)
    return {
        name: _run(ctx, "board", lambda uow, s=spec: portfolio.create_theme(uow, s)).key for name, spec in specs.items()
    }


def _theme_specs(t: _Timeline) -> dict[str, ThemeCreate]:
    def result(description: str, query: str | None, change: tuple[float, float], unit: str, days: int) -> KeyResultSpec:
        """A key result moving from `change[0]` to `change[1]` within `days`."""
        baseline, target = change
        return KeyResultSpec(
            description=description, metric_query=query, baseline=baseline, target=target, unit=unit, due=t.due(days)
        )

    flights = 'ratio(sum(drone.flights{outcome="success"}[30d]), sum(drone.flights[30d]))'
    return {
        "market": ThemeCreate(
            objective="Grow our share of the commercial drone market",
            description="We are small in a growing market; heavy payloads are where nobody serves customers well.",
            key_results=[
                result("Share of the commercial drone market", MARKET_SHARE, (4, 12), "%", 365),
                result(
                    "Heavy-lift units sold per quarter", HEAVY_LIFT_SALES.format(window="90d"), (0, 150), "units", 365
                ),
            ],
        ),
        "safety": ThemeCreate(
            objective="Every flight safe and observable",
            key_results=[
                result("Payload flights that complete", flights, (0.95, 0.995), "", 270),
                result("Incidents per 10,000 flights", None, (3, 1), "", 270),
            ],
        ),
        "customers": ThemeCreate(
            objective="Customers love flying with us",
            key_results=[result("Average CSAT score (1–5)", "avg(customer.csat.score[30d])", (4.0, 4.5), "", 365)],
        ),
    }


# --- the heavy-lift drone epic ---------------------------------------------------------------------------


def _heavy_lift(ctx: DemoContext, t: _Timeline, themes: dict[str, str], keys: dict[str, str]) -> None:
    t.at(0, lambda: keys.update({HEAVY_LIFT: _heavy_lift_epic(ctx, themes)}))
    _walk_heavy_lift(ctx, t, keys)


def _heavy_lift_epic(ctx: DemoContext, themes: dict[str, str]) -> str:
    data = EpicCreate(
        title=HEAVY_LIFT,
        description="Drones that carry heavy payloads, to win the customers our small drones cannot serve.",
        themes=[themes["market"], themes["safety"], themes["customers"]],
        hypothesis=Hypothesis(
            for_customers="logistics, construction and utility companies",
            who="must move 10–25 kg of goods to sites that trucks reach slowly or not at all",
            the_solution="Heavy-lift drone",
            is_a="cargo drone for payloads up to 25 kg",
            that="delivers within the hour over 40 km, in wind and light rain",
            unlike="ground couriers and today's 5 kg delivery drones",
            our_solution="reuses our proven flight software and fleet service, so customers fly on day one",
        ),
        business_outcomes=[
            "Market share in commercial drones from 4 % to 12 % within two years",
            "150 heavy-lift units sold per quarter",
        ],
        nfrs=["IP54 weather protection", "Flight software certified for payload class H"],
    )
    return str(_run(ctx, "pm", lambda uow: portfolio.create_epic(uow, data)).key)


def _heavy_lift_indicators(t: _Timeline) -> list[IndicatorSpec]:
    success = (
        'ratio(sum(drone.flights{payload="heavy",outcome="success"}[7d]), sum(drone.flights{payload="heavy"}[7d]))'
    )
    return [
        _indicator("Heavy-lift units sold", HEAVY_LIFT_SALES.format(window="30d"), 0, 40, t.due(120), weight=3),
        _indicator("Payload flight success rate", success, 0.75, 0.93, t.due(90), weight=2, telemetry=True),
        IndicatorSpec(
            name="Customer satisfaction",
            metric_query='avg(customer.csat.score{product="heavy-lift"}[30d])',  # the average score, 1 to 5
            baseline=4.1,
            target=4.4,
            deadline=t.due(150),
        ),
    ]


def _indicator(
    name: str, query: str, baseline: float, target: float, deadline: date, *, weight: float, telemetry: bool = False
) -> IndicatorSpec:
    """A critical leading indicator of the heavy-lift epic."""
    source = DataSource.TELEMETRY if telemetry else DataSource.BUSINESS
    return IndicatorSpec(
        name=name,
        metric_query=query,
        source=source,
        baseline=baseline,
        target=target,
        deadline=deadline,
        weight=weight,
        critical=True,
    )


def _walk_heavy_lift(ctx: DemoContext, t: _Timeline, keys: dict[str, str]) -> None:
    def key() -> str:
        return keys[HEAVY_LIFT]

    t.at(10, lambda: _move(ctx, "pm", key(), "reviewing", "The board wants more market share; look at this first"))
    t.at(14, lambda: _run(ctx, "pm", lambda uow: portfolio.update_epic(uow, key(), EpicUpdate(owner="pm"))))
    t.at(
        14,
        lambda: _run(ctx, "pm", lambda uow: portfolio.score_epic(uow, key(), _score(13, 8, 8, 13, "first estimate"))),
    )
    t.at(22, lambda: _run(ctx, "board", lambda uow: portfolio.score_epic(uow, key(), _score(20, 13, 8, 13, "urgent"))))
    t.at(25, lambda: _move(ctx, "board", key(), "analyzing", "Top of the WSJF ranking"))
    t.at(40, lambda: _run(ctx, "pm", lambda uow: portfolio.update_epic(uow, key(), _heavy_lift_case(t))))
    t.at(50, lambda: _decide(ctx, key(), DecisionKind.GO, "The business case holds; fund the MVP"))
    t.at(
        52, lambda: _move(ctx, "board", key(), "ready", "Approved; waiting for capacity in the next planning interval")
    )
    t.at(60, lambda: _move(ctx, "pm", key(), "implementing", "Planning interval 4 starts; teams pull the features"))


def _heavy_lift_case(t: _Timeline) -> EpicUpdate:
    case = LeanBusinessCase(
        analysis_summary="Interviews with 14 logistics and utility customers: 9 would buy at the target price. "
        "Competitors top out at 5 kg.",
        outcomes_hypothesis="+8 percentage points of market share; 600 units a year",
        in_scope="A 25 kg drone, flight software, battery pack, engines, fleet service",
        out_of_scope="Payloads above 25 kg; beyond-visual-line-of-sight approval outside the EU",
        mvp_features=list(FEATURES),
        stakeholders="Board, sales, the flight-software and power-systems teams",
        users_and_markets="Logistics, construction and utility companies in the EU",
        mvp_cost=850_000,
        full_cost=4_200_000,
        recommendation=Recommendation.GO,
    )
    return EpicUpdate(
        business_case=case,
        mvp_definition="Ten drones flying 20 kg for 25 km for three pilot customers, with live telemetry",
        estimated_cost=4_200_000,
        leading_indicators=_heavy_lift_indicators(t),
    )


# --- the rest of the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Idea:
    title: str
    description: str
    theme: str
    to: str  # the column it ends in
    score: tuple[int, int, int, int] | None = None
    kind: ItemKind = ItemKind.BUSINESS
    day: int = 20
    done_reason: DoneReason | None = None


IDEAS = (
    _Idea(
        "Swarm inspections for wind farms", "Several drones inspect a wind farm together.", "market", "funnel", day=120
    ),
    _Idea(
        "Autonomous docking stations", "Drones land, charge and take off without a pilot.", "market", "funnel", day=135
    ),
    _Idea(
        "Drone-as-a-service subscriptions",
        "Customers rent flights by the month instead of buying drones.",
        "customers",
        "reviewing",
        (13, 5, 8, 8),
        day=70,
    ),
    _Idea(
        "Agricultural spraying drones",
        "Precise spraying for vineyards and orchards.",
        "market",
        "reviewing",
        (8, 3, 3, 13),
        day=95,
    ),
    _Idea(
        "Cold-chain medical delivery",
        "Temperature-controlled delivery of medicine and lab samples.",
        "customers",
        "analyzing",
        (13, 13, 5, 8),
        day=80,
    ),
    _Idea(
        "Fleet telemetry platform",
        "One telemetry pipeline for every drone we have sold.",
        "safety",
        "ready",
        (8, 8, 13, 5),
        kind=ItemKind.ENABLER,
        day=30,
    ),
    _Idea(
        "Night-flight certification",
        "Certify the fleet for flights after dark.",
        "safety",
        "implementing:persevere",
        (13, 8, 13, 8),
        day=5,
    ),
    _Idea(
        "Consumer selfie drone",
        "A pocket drone for holiday videos.",
        "customers",
        "done",
        (3, 1, 1, 8),
        day=8,
        done_reason=DoneReason.NO_GO,
    ),
    _Idea(
        "Legacy ground-station replacement",
        "Retire the ground stations that still run on Windows XP.",
        "safety",
        "done",
        (5, 8, 20, 5),
        kind=ItemKind.ENABLER,
        day=1,
        done_reason=DoneReason.COMPLETED,
    ),
)
_PATHS = {
    "funnel": [],
    "reviewing": ["reviewing"],
    "analyzing": ["reviewing", "analyzing"],
    "ready": ["reviewing", "analyzing", "go", "ready"],
    "implementing:persevere": ["reviewing", "analyzing", "go", "ready", "implementing", "persevere"],
}


def _idea(ctx: DemoContext, t: _Timeline, idea: _Idea, themes: dict[str, str], keys: dict[str, str]) -> None:
    def key() -> str:
        return keys[idea.title]

    t.at(idea.day, lambda: keys.update({idea.title: _idea_epic(ctx, t, idea, themes)}))
    if idea.to == "done" and idea.done_reason is DoneReason.NO_GO:
        _walk(ctx, t, key, ["reviewing", "analyzing"], idea.day)
        t.at(idea.day + 30, lambda: _decide(ctx, key(), DecisionKind.NO_GO, "A crowded market with thin margins"))
    elif idea.to == "done":
        _walk(ctx, t, key, _PATHS["implementing:persevere"], idea.day)
        t.at(
            idea.day + 110,
            lambda: _move(
                ctx, "board", key(), "done", "All ground stations replaced", done_reason=DoneReason.COMPLETED
            ),
        )
    else:
        _walk(ctx, t, key, _PATHS[idea.to], idea.day)


def _idea_epic(ctx: DemoContext, t: _Timeline, idea: _Idea, themes: dict[str, str]) -> str:
    fields: dict[str, Any] = {
        "title": idea.title,
        "description": idea.description,
        "epic_type": idea.kind,
        "themes": [themes[idea.theme]],
    }
    if idea.to != "funnel":
        fields["hypothesis"] = Hypothesis(
            for_customers="our existing fleet customers",
            who="ask for this in every sales conversation",
            the_solution=idea.title,
            is_a="new offering on our drone platform",
            that=idea.description.rstrip(".").lower(),
            unlike="what competitors sell today",
            our_solution="builds on the fleet and telemetry we already run",
        )
        fields["owner"] = "pm"
    if idea.score:
        fields["score"] = _score(*idea.score)
    if idea.to in {"ready", "implementing:persevere", "done"}:
        fields["business_case"] = LeanBusinessCase(
            analysis_summary=f"{idea.title}: demand confirmed by customer interviews",
            mvp_cost=200_000,
            full_cost=900_000,
        )
        fields["mvp_definition"] = f"The smallest {idea.title.lower()} that a pilot customer pays for"
        fields["leading_indicators"] = [
            IndicatorSpec(
                name=f"{idea.title}: pilot customers",
                metric_query=f'sum(business.pilot_signups{{offering="{idea.title.lower()}"}}[30d])',
                baseline=0,
                target=5,
                deadline=t.due(90),
            )
        ]
    return str(_run(ctx, "pm", lambda uow: portfolio.create_epic(uow, EpicCreate(**fields))).key)


def _walk(ctx: DemoContext, t: _Timeline, key: Callable[[], str], steps: list[str], start: int) -> None:
    for n, step in enumerate(steps, start=1):
        t.at(start + 6 * n, partial(_step, ctx, key, step))


def _step(ctx: DemoContext, epic: Callable[[], str], step: str) -> None:
    key = epic()
    if step == "go":
        _decide(ctx, key, DecisionKind.GO, "Worth the money")
    elif step == "persevere":
        _decide(ctx, key, DecisionKind.PERSEVERE, "The MVP's indicators are on target", **{"pilot customers": 6.0})
    else:
        _move(ctx, "board" if step in {"analyzing", "ready"} else "pm", key, step)


# --- teams, features and stories -------------------------------------------------------------------------


def _ensure_teams(ctx: DemoContext) -> None:
    """The two teams that exist before the story starts (the platform onboards `engines` later)."""
    for key, name in EXISTING_TEAMS:

        def work(uow: Any, key: str = key, name: str = name) -> None:
            try:
                teams.team_id(uow, key)
            except NotFound:
                teams.create_team(uow, TeamCreate(key=key, name=name, team_type=TeamType.STREAM_ALIGNED))

        _run(ctx, "platform", work)


def _heavy_lift_features(ctx: DemoContext, epic: str) -> dict[str, str]:
    specs = [
        FeatureCreate(
            epic=epic,
            title=FEATURES[0],
            team="flight-software",
            benefit_hypothesis="Pilot customers fly 20 kg payloads as safely as 5 kg ones if the flight software "
            "knows the payload.",
            acceptance_criteria=["Stable hover with 25 kg in 30 km/h wind", "Payload class H certification passed"],
            score=_score(20, 13, 8, 8),
        ),
        FeatureCreate(
            epic=epic,
            title=FEATURES[1],
            team="power-systems",
            benefit_hypothesis="Customers reach 40 km sites with a full load if the pack holds 60 % more energy.",
            acceptance_criteria=["40 km with 25 kg on one charge", "Full charge within 90 minutes"],
            score=_score(20, 8, 5, 13),
        ),
        FeatureCreate(
            epic=epic,
            title=FEATURES[2],
            benefit_hypothesis="Heavy payloads lift off and climb safely if the engines give 30 % more thrust.",
            acceptance_criteria=["30 % more thrust at the same weight", "Engine telemetry on every flight"],
            score=_score(20, 13, 13, 20),
        ),
    ]
    return {spec.title: _run(ctx, "pm", lambda uow, s=spec: portfolio.create_feature(uow, s)).key for spec in specs}


STORIES: dict[str, list[tuple[str, str, int, list[tuple[int, WorkState]]]]] = {
    FEATURES[0]: [
        ("Payload-aware flight envelope", "flight", 8, [(66, WorkState.ACTIVE), (80, WorkState.DONE)]),
        (
            "Centre-of-gravity compensation",
            "flight",
            5,
            [(78, WorkState.ACTIVE), (85, WorkState.WAITING), (92, WorkState.ACTIVE)],
        ),
        ("Heavy-lift landing profile", "flight", 3, []),
    ],
    FEATURES[1]: [
        ("Higher-capacity cell pack", "power", 13, [(67, WorkState.ACTIVE)]),
        ("Thermal management for the pack", "power", 8, [(70, WorkState.WAITING)]),
        ("Battery health telemetry", "power", 3, []),
    ],
}


def _stories(ctx: DemoContext, t: _Timeline, keys: dict[str, str]) -> None:
    stories: dict[str, str] = {}
    for feature, specs in STORIES.items():
        for title, who, points, changes in specs:
            t.at(65, partial(_story, ctx, stories, (keys, feature), title, points))
            for day, state in changes:
                t.at(day, partial(_story_state, ctx, who, stories, title, state))


def _story(
    ctx: DemoContext, stories: dict[str, str], feature: tuple[dict[str, str], str], title: str, points: int
) -> None:
    keys, name = feature
    data = StoryCreate(feature=keys[name], title=title, points=points)
    stories[title] = _run(ctx, "pm", lambda uow: portfolio.create_story(uow, data)).key


def _story_state(ctx: DemoContext, who: str, stories: dict[str, str], title: str, state: WorkState) -> None:
    change = StateChange(to=state)
    _run(ctx, who, lambda uow: portfolio.change_story_state(uow, stories[title], change))
