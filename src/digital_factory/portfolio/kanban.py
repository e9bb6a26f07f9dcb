"""The portfolio kanban's rules, pure: states, allowed transitions, gates, WIP defaults.

Which gates are on and the WIP limit of each state are configuration stored in the database; this module
holds the defaults and decides, from plain facts about an epic, whether a move may happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EpicState(StrEnum):
    FUNNEL = "funnel"
    REVIEWING = "reviewing"
    ANALYZING = "analyzing"
    READY = "ready"
    IMPLEMENTING = "implementing"
    DONE = "done"


class Substate(StrEnum):
    """Implementing has two stages: the MVP, then (after a persevere decision) Persevere."""

    MVP = "mvp"
    PERSEVERE = "persevere"


class DoneReason(StrEnum):
    COMPLETED = "completed"
    NO_GO = "no-go"
    STOPPED_AFTER_MVP = "stopped-after-mvp"
    REJECTED = "rejected"


class DecisionKind(StrEnum):
    """What the board decides about an epic."""

    GO = "go"
    NO_GO = "no-go"
    PERSEVERE = "persevere"
    PIVOT = "pivot"
    STOP = "stop"


class Gate(StrEnum):
    REVIEWING_NEEDS_HYPOTHESIS = "reviewing-needs-hypothesis"
    ANALYZING_NEEDS_OWNER_AND_WSJF = "analyzing-needs-owner-and-wsjf"
    READY_NEEDS_BUSINESS_CASE = "ready-needs-business-case"
    READY_NEEDS_MVP = "ready-needs-mvp"
    IMPLEMENTING_NEEDS_GO = "implementing-needs-go"
    IMPLEMENTING_NEEDS_INDICATORS = "implementing-needs-indicators"
    PERSEVERE_NEEDS_DECISION = "persevere-needs-decision"
    DONE_NEEDS_REASON = "done-needs-reason"


@dataclass(frozen=True, order=True)
class Column:
    """A place on the board: a state, and for Implementing its stage."""

    state: EpicState
    substate: Substate | None = None

    @property
    def id(self) -> str:
        return f"{self.state}:{self.substate}" if self.substate else str(self.state)

    @property
    def label(self) -> str:
        if self.substate is None:
            return STATE_LABELS[self.state]
        return f"{STATE_LABELS[self.state]}: {SUBSTATE_LABELS[self.substate]}"

    @classmethod
    def parse(cls, text: str) -> Column:
        """`ready`, `implementing:mvp`; `implementing` alone means the MVP stage."""
        state_text, _, sub_text = text.strip().lower().partition(":")
        try:
            state = EpicState(state_text)
            substate = Substate(sub_text) if sub_text else None
        except ValueError:
            raise ValueError(f"{text!r} is not a column; one of {', '.join(c.id for c in COLUMNS)}") from None
        if state is EpicState.IMPLEMENTING and substate is None:
            substate = Substate.MVP
        if state is not EpicState.IMPLEMENTING and substate is not None:
            raise ValueError(f"only implementing has stages; {text!r} is not a column")
        return cls(state, substate)


STATE_LABELS: dict[EpicState, str] = {
    EpicState.FUNNEL: "Funnel",
    EpicState.REVIEWING: "Reviewing",
    EpicState.ANALYZING: "Analyzing",
    EpicState.READY: "Ready",
    EpicState.IMPLEMENTING: "Implementing",
    EpicState.DONE: "Done",
}
SUBSTATE_LABELS: dict[Substate, str] = {Substate.MVP: "MVP", Substate.PERSEVERE: "Persevere"}

FUNNEL = Column(EpicState.FUNNEL)
REVIEWING = Column(EpicState.REVIEWING)
ANALYZING = Column(EpicState.ANALYZING)
READY = Column(EpicState.READY)
MVP = Column(EpicState.IMPLEMENTING, Substate.MVP)
PERSEVERE = Column(EpicState.IMPLEMENTING, Substate.PERSEVERE)
DONE = Column(EpicState.DONE)
COLUMNS: tuple[Column, ...] = (FUNNEL, REVIEWING, ANALYZING, READY, MVP, PERSEVERE, DONE)

# Where an epic may go from each column. Backward moves (rework) are allowed one step; Done is terminal.
TRANSITIONS: dict[Column, frozenset[Column]] = {
    FUNNEL: frozenset({REVIEWING, DONE}),
    REVIEWING: frozenset({ANALYZING, FUNNEL, DONE}),
    ANALYZING: frozenset({READY, REVIEWING, DONE}),
    READY: frozenset({MVP, ANALYZING, DONE}),
    MVP: frozenset({PERSEVERE, REVIEWING, DONE}),
    PERSEVERE: frozenset({DONE}),
    DONE: frozenset(),
}

# Which reasons fit leaving which column for Done.
DONE_REASONS_FROM: dict[Column, frozenset[DoneReason]] = {
    FUNNEL: frozenset({DoneReason.REJECTED}),
    REVIEWING: frozenset({DoneReason.REJECTED}),
    ANALYZING: frozenset({DoneReason.REJECTED, DoneReason.NO_GO}),
    READY: frozenset({DoneReason.NO_GO}),
    MVP: frozenset({DoneReason.STOPPED_AFTER_MVP}),
    PERSEVERE: frozenset({DoneReason.COMPLETED}),
}

# Ending an epic other than as completed is a portfolio decision (needs `portfolio:decide`).
DECISION_REASONS: frozenset[DoneReason] = frozenset(
    {DoneReason.NO_GO, DoneReason.REJECTED, DoneReason.STOPPED_AFTER_MVP}
)

# Documented defaults (docs/portfolio.md). None = no limit. Implementing counts both of its stages.
DEFAULT_WIP_LIMITS: dict[EpicState, int | None] = {
    EpicState.FUNNEL: None,
    EpicState.REVIEWING: 6,
    EpicState.ANALYZING: 4,
    EpicState.READY: 10,
    EpicState.IMPLEMENTING: 5,
    EpicState.DONE: None,
}
MAX_WIP_LIMIT = 10_000


@dataclass(frozen=True)
class GateSpec:
    gate: Gate
    entering: Column
    description: str
    default_enabled: bool = True


GATES: dict[Gate, GateSpec] = {
    spec.gate: spec
    for spec in (
        GateSpec(
            Gate.REVIEWING_NEEDS_HYPOTHESIS,
            REVIEWING,
            "Reviewing needs the complete epic hypothesis statement (for, who, the, is a, that, unlike, our solution).",
        ),
        GateSpec(Gate.ANALYZING_NEEDS_OWNER_AND_WSJF, ANALYZING, "Analyzing needs an epic owner and a WSJF score."),
        GateSpec(Gate.READY_NEEDS_BUSINESS_CASE, READY, "Ready needs a lean business case."),
        GateSpec(Gate.READY_NEEDS_MVP, READY, "Ready needs an MVP definition."),
        GateSpec(Gate.IMPLEMENTING_NEEDS_GO, MVP, "Implementing needs a recorded go decision."),
        GateSpec(
            Gate.IMPLEMENTING_NEEDS_INDICATORS,
            MVP,
            "Implementing needs at least one leading indicator, so the MVP can be evaluated.",
        ),
        GateSpec(Gate.PERSEVERE_NEEDS_DECISION, PERSEVERE, "Persevere needs a recorded persevere decision."),
        GateSpec(Gate.DONE_NEEDS_REASON, DONE, "Done needs a reason (completed, no-go, stopped after MVP, rejected)."),
    )
}
DEFAULT_GATES: dict[Gate, bool] = {gate: spec.default_enabled for gate, spec in GATES.items()}


@dataclass(frozen=True)
class EpicFacts:
    """What the gates look at, gathered by the service from the store."""

    hypothesis_complete: bool
    has_owner: bool
    scored: bool
    has_business_case: bool
    has_mvp: bool
    go_decided: bool
    indicator_count: int
    persevere_decided: bool


@dataclass(frozen=True)
class Refusal:
    """Why a move may not happen: a rule id (a gate's name, or a transition rule) and a sentence."""

    rule: str
    reason: str


def allowed_targets(source: Column) -> list[Column]:
    return [c for c in COLUMNS if c in TRANSITIONS[source]]


def check_transition(source: Column, target: Column, done_reason: DoneReason | None) -> Refusal | None:
    """Is the step itself allowed (independent of configuration)?"""
    if source == target:
        return Refusal("same-column", f"the epic is already in {target.label}")
    if target not in TRANSITIONS[source]:
        targets = ", ".join(c.label for c in allowed_targets(source)) or "nowhere (Done is final)"
        return Refusal(
            "transition-not-allowed",
            f"an epic cannot move from {source.label} to {target.label}; it may go to {targets}",
        )
    if target != DONE and done_reason is not None:
        return Refusal("done-reason-not-allowed", "a done reason only applies when moving to Done")
    if target == DONE and done_reason is not None and done_reason not in DONE_REASONS_FROM[source]:
        fitting = ", ".join(sorted(DONE_REASONS_FROM[source]))
        return Refusal(
            "done-reason-not-allowed",
            f"{done_reason} is not a reason to leave {source.label} for Done; from there it can be: {fitting}",
        )
    return None


def check_gates(
    target: Column, facts: EpicFacts, done_reason: DoneReason | None, enabled: dict[Gate, bool]
) -> list[Refusal]:
    """Every enabled gate on entering `target` that the epic does not pass."""
    failed: list[Refusal] = []
    for gate, spec in GATES.items():
        if spec.entering != target or not enabled.get(gate, spec.default_enabled):
            continue
        if not _passes(gate, facts, done_reason):
            failed.append(Refusal(str(gate), spec.description))
    return failed


def _passes(gate: Gate, facts: EpicFacts, done_reason: DoneReason | None) -> bool:
    checks = {
        Gate.REVIEWING_NEEDS_HYPOTHESIS: facts.hypothesis_complete,
        Gate.ANALYZING_NEEDS_OWNER_AND_WSJF: facts.has_owner and facts.scored,
        Gate.READY_NEEDS_BUSINESS_CASE: facts.has_business_case,
        Gate.READY_NEEDS_MVP: facts.has_mvp,
        Gate.IMPLEMENTING_NEEDS_GO: facts.go_decided,
        Gate.IMPLEMENTING_NEEDS_INDICATORS: facts.indicator_count > 0,
        Gate.PERSEVERE_NEEDS_DECISION: facts.persevere_decided,
        Gate.DONE_NEEDS_REASON: done_reason is not None,
    }
    return checks[gate]


def wip_refusal(source: Column, target: Column, occupied: int, limit: int | None) -> Refusal | None:
    """A move into a state that is at its WIP limit (moving between stages of one state frees nothing and
    takes nothing, so it is never refused)."""
    if limit is None or source.state == target.state or occupied < limit:
        return None
    label = STATE_LABELS[target.state]
    return Refusal("wip-limit", f"{label} is at its WIP limit ({occupied} of {limit})")


# Decisions: where each may be taken and the move it makes (None: recorded only).
DECISION_FROM: dict[DecisionKind, frozenset[Column]] = {
    DecisionKind.GO: frozenset({ANALYZING, READY}),
    DecisionKind.NO_GO: frozenset({REVIEWING, ANALYZING, READY}),
    DecisionKind.PERSEVERE: frozenset({MVP}),
    DecisionKind.PIVOT: frozenset({MVP}),
    DecisionKind.STOP: frozenset({MVP}),
}


def decision_move(kind: DecisionKind, source: Column) -> tuple[Column, DoneReason | None] | None:
    """The move a decision makes from `source`: no-go and stop end the epic, persevere moves the MVP on,
    pivot sends it back to Reviewing to rework the hypothesis; go is only recorded."""
    if kind is DecisionKind.GO:
        return None
    if kind is DecisionKind.NO_GO:
        return DONE, (DoneReason.REJECTED if source == REVIEWING else DoneReason.NO_GO)
    if kind is DecisionKind.PERSEVERE:
        return PERSEVERE, None
    if kind is DecisionKind.PIVOT:
        return REVIEWING, None
    return DONE, DoneReason.STOPPED_AFTER_MVP


# --- work items (features and stories): flow states ------------------------------------------------

WORK_STATES: tuple[str, ...] = ("new", "active", "waiting", "done")
# New -> Active/Waiting (work starts), Active <-> Waiting, either -> Done, Done -> Active (reopened).
WORK_TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"active", "waiting"}),
    "active": frozenset({"waiting", "done"}),
    "waiting": frozenset({"active", "done"}),
    "done": frozenset({"active"}),
}


def check_work_transition(source: str, target: str) -> Refusal | None:
    if source == target:
        return Refusal("same-state", f"the item is already {target}")
    if target not in WORK_TRANSITIONS[source]:
        allowed = ", ".join(s for s in WORK_STATES if s in WORK_TRANSITIONS[source])
        return Refusal(
            "transition-not-allowed", f"a work item cannot go from {source} to {target}; it may go to {allowed}"
        )
    return None
