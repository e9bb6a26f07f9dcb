"""The portfolio kanban in the store: moves (the one function API, web and CLI use), decisions, the
transition history, the WIP and gate configuration, and the board."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select, union_all

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import allowed, record_audit, require
from digital_factory.core.errors import Conflict, PermissionDenied, ValidationFailed
from digital_factory.core.schemas import copied
from digital_factory.portfolio import kanban, models
from digital_factory.portfolio.epics import BACKLOG_STATES, SUMMARIES, epic_row, summaries, summary_values, usernames
from digital_factory.portfolio.events import EpicDecided, EpicMoved
from digital_factory.portfolio.evidence import check_evaluation
from digital_factory.portfolio.kanban import Column, DecisionKind, DoneReason, EpicState, Gate, Refusal
from digital_factory.portfolio.schemas import (
    Board,
    BoardColumn,
    Decision,
    DecisionCreate,
    DecisionResult,
    EpicSummary,
    EvaluationSnapshot,
    GateSetting,
    Hypothesis,
    KanbanConfig,
    KanbanConfigUpdate,
    MoveRequest,
    MoveResult,
    StateSetting,
    Transition,
)
from digital_factory.store.uow import UnitOfWork

BOARD_CARDS_PER_COLUMN = 50
CARD_COLUMNS = (
    "id",
    "key",
    "title",
    "epic_type",
    "state",
    "substate",
    "done_reason",
    "owner_user_id",
    "user_business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "cost_of_delay",
    "wsjf",
    "state_entered_at",
    "created_at",
)


class MoveRefused(Conflict):
    """A move the kanban's rules do not allow; `rule` names the gate or rule, `refusals` lists them all."""

    def __init__(self, epic_key: str, target: Column, refusals: list[Refusal], *, can_override: bool = False) -> None:
        reasons = "; ".join(f"{r.rule}: {r.reason}" for r in refusals)
        super().__init__(f"{epic_key} cannot move to {target.label}: {reasons}", rule=refusals[0].rule)
        self.refusals = refusals
        self.can_override = can_override


# --- moves -----------------------------------------------------------------------------------------


def move_epic(uow: UnitOfWork, key: str, request: MoveRequest) -> MoveResult:
    """Move an epic on the portfolio kanban: the transition must be allowed, the enabled gates passed and
    the target state below its WIP limit (or overridden, with a reason, by `portfolio:decide`)."""
    require(uow.actor, Permission.PORTFOLIO_WRITE)
    try:
        target = Column.parse(request.to)
    except ValueError as exc:
        raise ValidationFailed.on("to", str(exc)) from None
    row = epic_row(uow, key, lock=True)
    source = column_of(row)
    implied = _implied_decision(source, target, request.done_reason)
    if implied is not None or request.wip_override_reason is not None:
        _require_decide(uow, "end an epic as rejected, no-go or stopped, pivot it, or override a WIP limit")
    decision_id = None
    if implied is not None:
        implied_data = DecisionCreate(kind=implied, rationale=request.reason or f"moved to {target.label}")
        decision_id = _record_decision(uow, row, implied_data).id
    transition = _move(uow, row, target, request, decision_id=decision_id)
    return MoveResult(epic=summaries(uow, [row])[0], transition=transition)


def _implied_decision(source: Column, target: Column, done_reason: DoneReason | None) -> DecisionKind | None:
    """A plain move that is really a board decision records that decision (ending an epic other than as
    completed, or sending an MVP back to Reviewing)."""
    if target == kanban.DONE and done_reason in kanban.DECISION_REASONS:
        return DecisionKind.STOP if done_reason is DoneReason.STOPPED_AFTER_MVP else DecisionKind.NO_GO
    if source == kanban.MVP and target == kanban.REVIEWING:
        return DecisionKind.PIVOT
    return None


def _require_decide(uow: UnitOfWork, what: str) -> None:
    if not allowed(uow.actor, Permission.PORTFOLIO_DECIDE):
        raise PermissionDenied(f"only the board (portfolio:decide) may {what}")


def _move(
    uow: UnitOfWork, row: models.Epic, target: Column, request: MoveRequest, *, decision_id: int | None
) -> Transition:
    source = column_of(row)
    _check_rules(uow, row, source, target, request.done_reason)
    override = _check_wip(uow, row, source, target, request.wip_override_reason)
    transition = _enter(uow, row, target, request, override=override, decision_id=decision_id)
    record_audit(
        uow,
        "epic.move",
        "epic",
        row.key,
        before={"column": source.id},
        after={
            "column": target.id,
            "done_reason": row.done_reason,
            "reason": request.reason,
            "wip_override": request.wip_override_reason if override else None,
        },
    )
    uow.emit(
        EpicMoved(
            epic_id=row.id,
            key=row.key,
            from_column=source.id,
            to_column=target.id,
            done_reason=row.done_reason,
            at=transition.at,
            wip_override=override,
        )
    )
    kind = _decision_kinds(uow, [decision_id]).get(decision_id) if decision_id else None
    return _transition_out(transition, row.key, kind)


def _check_rules(
    uow: UnitOfWork, row: models.Epic, source: Column, target: Column, done_reason: DoneReason | None
) -> None:
    """The transition must be allowed and the target's enabled gates passed."""
    refusal = kanban.check_transition(source, target, done_reason)
    if refusal is not None:
        raise MoveRefused(row.key, target, [refusal])
    gates = kanban.check_gates(target, facts_of(uow, row), done_reason, gate_settings(uow))
    if gates:
        raise MoveRefused(row.key, target, gates)


def _enter(
    uow: UnitOfWork, row: models.Epic, target: Column, request: MoveRequest, *, override: bool, decision_id: int | None
) -> models.Transition:
    """Put the epic in `target` and store the transition (its reason names a WIP override)."""
    source = column_of(row)
    now = uow.clock.now()
    row.state = str(target.state)
    row.substate = str(target.substate) if target.substate else None
    row.done_reason = str(request.done_reason) if request.done_reason else None
    row.state_entered_at = now
    row.updated_at = now
    reason = request.reason
    if override:
        reason = f"{reason} (WIP limit overridden: {request.wip_override_reason})".strip()
    transition = models.Transition(
        epic_id=row.id,
        from_state=str(source.state),
        from_substate=str(source.substate) if source.substate else None,
        to_state=row.state,
        to_substate=row.substate,
        done_reason=row.done_reason,
        at=now,
        actor_user_id=uow.actor.user_id,
        actor_name=uow.actor.name,
        reason=reason,
        wip_override=override,
        decision_id=decision_id,
    )
    uow.session.add(transition)
    uow.session.flush()
    return transition


def _check_wip(uow: UnitOfWork, row: models.Epic, source: Column, target: Column, override_reason: str | None) -> bool:
    """True when the move passes a full column on the strength of an override."""
    if source.state == target.state:
        return False
    # Serialise moves into one state: two concurrent moves must not both take the last slot.
    setting = uow.session.scalar(
        select(models.StateConfig).where(models.StateConfig.state == str(target.state)).with_for_update()
    )
    limit = setting.wip_limit if setting is not None else kanban.DEFAULT_WIP_LIMITS[target.state]
    occupied = (
        uow.session.scalar(select(func.count()).where(models.Epic.state == str(target.state), models.Epic.id != row.id))
        or 0
    )
    refusal = kanban.wip_refusal(source, target, occupied, limit)
    if refusal is None:
        return False
    if override_reason is None or not override_reason.strip():
        if override_reason is not None:
            raise ValidationFailed.on("wip_override_reason", "give the reason for overriding the WIP limit")
        raise MoveRefused(row.key, target, [refusal], can_override=allowed(uow.actor, Permission.PORTFOLIO_DECIDE))
    return True


def column_of(row: models.Epic) -> Column:
    state = EpicState(row.state)
    return Column(state, kanban.Substate(row.substate) if row.substate else None)


def facts_of(uow: UnitOfWork, row: models.Epic) -> kanban.EpicFacts:
    kinds = list(
        uow.session.scalars(
            select(models.Decision.kind)
            .where(models.Decision.epic_id == row.id)
            .order_by(models.Decision.at.desc(), models.Decision.id.desc())
        )
    )
    approval = next((k for k in kinds if k in {"go", "no-go", "pivot"}), None)
    indicators = uow.session.scalar(select(func.count()).where(models.Indicator.epic_id == row.id)) or 0
    return kanban.EpicFacts(
        hypothesis_complete=Hypothesis.model_validate(row.hypothesis).complete,
        has_owner=row.owner_user_id is not None,
        scored=row.wsjf is not None,
        has_business_case=row.business_case is not None,
        has_mvp=bool(row.mvp_definition.strip()),
        go_decided=approval == DecisionKind.GO,
        indicator_count=indicators,
        persevere_decided=bool(kinds) and kinds[0] == DecisionKind.PERSEVERE,
    )


# --- decisions -------------------------------------------------------------------------------------


def decide(uow: UnitOfWork, key: str, data: DecisionCreate) -> DecisionResult:
    """Record a board decision and make its move: no-go and stop end the epic, persevere moves the MVP
    on, pivot sends it back to Reviewing; go is recorded (Implementing needs it). An evaluation sent with
    it must be of the epic's leading indicators."""
    require(uow.actor, Permission.PORTFOLIO_DECIDE)
    row = epic_row(uow, key, lock=True)
    source = column_of(row)
    if source not in kanban.DECISION_FROM[data.kind]:
        where = ", ".join(c.label for c in kanban.COLUMNS if c in kanban.DECISION_FROM[data.kind])
        raise Conflict(
            f"a {data.kind} decision is taken in {where}; {row.key} is in {source.label}",
            rule="decision-not-allowed",
        )
    if data.evaluation is not None:
        check_evaluation(uow, row.id, data.evaluation)
    decision = _record_decision(uow, row, data)
    move = kanban.decision_move(data.kind, source)
    transition = None
    if move is not None:
        target, done_reason = move
        request = MoveRequest(
            to=target.id,
            reason=f"{data.kind}: {data.rationale}",
            done_reason=done_reason,
            wip_override_reason=data.wip_override_reason,
        )
        transition = _move(uow, row, target, request, decision_id=decision.id)
    return DecisionResult(
        decision=_decision_out(decision, row.key), epic=summaries(uow, [row])[0], transition=transition
    )


def _record_decision(uow: UnitOfWork, row: models.Epic, data: DecisionCreate) -> models.Decision:
    kind, rationale, evidence = data.kind, data.rationale, data.evidence
    evaluation = data.evaluation.model_dump(mode="json") if data.evaluation else None
    decision = models.Decision(
        epic_id=row.id,
        kind=str(kind),
        rationale=rationale,
        evidence=dict(evidence),
        evaluation=evaluation,
        at=uow.clock.now(),
        actor_user_id=uow.actor.user_id,
        actor_name=uow.actor.name,
    )
    uow.session.add(decision)
    uow.session.flush()
    record_audit(
        uow,
        "epic.decide",
        "epic",
        row.key,
        after={"kind": str(kind), "rationale": rationale, "evidence": evidence, "evaluation": evaluation},
    )
    uow.emit(EpicDecided(epic_id=row.id, key=row.key, kind=str(kind), at=decision.at))
    return decision


def list_decisions(uow: UnitOfWork, key: str) -> list[Decision]:
    require(uow.actor, Permission.READ)
    row = epic_row(uow, key)
    rows = uow.session.scalars(
        select(models.Decision)
        .where(models.Decision.epic_id == row.id)
        .order_by(models.Decision.at, models.Decision.id)
    )
    return [_decision_out(d, row.key) for d in rows]


def list_transitions(uow: UnitOfWork, key: str) -> list[Transition]:
    require(uow.actor, Permission.READ)
    row = epic_row(uow, key)
    return transitions_of(uow, row.id, row.key)


def transitions_of(uow: UnitOfWork, epic_id: int, epic_key: str) -> list[Transition]:
    rows = list(
        uow.session.scalars(
            select(models.Transition)
            .where(models.Transition.epic_id == epic_id)
            .order_by(models.Transition.at, models.Transition.id)
        )
    )
    kinds = _decision_kinds(uow, [t.decision_id for t in rows if t.decision_id is not None])
    return [_transition_out(t, epic_key, kinds.get(t.decision_id) if t.decision_id else None) for t in rows]


def _decision_kinds(uow: UnitOfWork, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        uow.session.execute(select(models.Decision.id, models.Decision.kind).where(models.Decision.id.in_(ids))).all()
    )


def _transition_out(row: models.Transition, epic_key: str, kind: str | None = None) -> Transition:
    source = _column_id(row.from_state, row.from_substate) if row.from_state else None
    return copied(
        Transition,
        row,
        epic=epic_key,
        from_column=source,
        to_column=_column_id(row.to_state, row.to_substate) or row.to_state,
        done_reason=DoneReason(row.done_reason) if row.done_reason else None,
        decision=DecisionKind(kind) if kind else None,
    )


def _column_id(state: str | None, substate: str | None) -> str | None:
    if state is None:
        return None
    return f"{state}:{substate}" if substate else state


def _decision_out(row: models.Decision, epic_key: str) -> Decision:
    return copied(
        Decision,
        row,
        epic=epic_key,
        evidence={k: float(v) for k, v in row.evidence.items()},
        evaluation=EvaluationSnapshot.model_validate(row.evaluation) if row.evaluation else None,
    )


# --- configuration ---------------------------------------------------------------------------------


def wip_limits(uow: UnitOfWork) -> dict[EpicState, int | None]:
    limits = dict(kanban.DEFAULT_WIP_LIMITS)
    for row in uow.session.scalars(select(models.StateConfig)):
        if row.state in EpicState.__members__.values():
            limits[EpicState(row.state)] = row.wip_limit
    return limits


def gate_settings(uow: UnitOfWork) -> dict[Gate, bool]:
    enabled = dict(kanban.DEFAULT_GATES)
    for row in uow.session.scalars(select(models.GateConfig)):
        if row.gate in Gate.__members__.values():
            enabled[Gate(row.gate)] = row.enabled
    return enabled


def get_kanban_config(uow: UnitOfWork) -> KanbanConfig:
    require(uow.actor, Permission.READ)
    limits = wip_limits(uow)
    gates = gate_settings(uow)
    return KanbanConfig(
        states=[StateSetting(state=s, label=kanban.STATE_LABELS[s], wip_limit=limits[s]) for s in EpicState],
        gates=[GateSetting(gate=g, description=kanban.GATES[g].description, enabled=gates[g]) for g in kanban.GATES],
    )


def update_kanban_config(uow: UnitOfWork, data: KanbanConfigUpdate) -> KanbanConfig:
    """Change WIP limits and switch gates (admin and board: `portfolio:decide`)."""
    require(uow.actor, Permission.PORTFOLIO_DECIDE)
    before = get_kanban_config(uow)
    for state, limit in data.wip_limits.items():
        _put(uow, models.StateConfig, {"state": str(state)}, wip_limit=limit)
    for gate, enabled in data.gates.items():
        _put(uow, models.GateConfig, {"gate": str(gate)}, enabled=enabled)
    uow.session.flush()
    after = get_kanban_config(uow)
    record_audit(uow, "kanban.configure", "kanban", "portfolio", before=_config_view(before), after=_config_view(after))
    return after


def _put(
    uow: UnitOfWork, model: type[models.StateConfig | models.GateConfig], key: dict[str, str], **values: Any
) -> None:
    """Set `values` on the configuration row with the primary `key`, adding the row where there is none yet."""
    row = uow.session.get(model, tuple(key.values()))
    if row is None:
        uow.session.add(model(**key, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def _config_view(config: KanbanConfig) -> dict[str, Any]:
    return {
        "wip_limits": {str(s.state): s.wip_limit for s in config.states},
        "gates": {str(g.gate): g.enabled for g in config.gates},
    }


# --- the board -------------------------------------------------------------------------------------


def board(uow: UnitOfWork, *, cards_per_column: int = BOARD_CARDS_PER_COLUMN) -> Board:
    """Every column with its count, its state's WIP limit and at most `cards_per_column` cards (backlog
    states by WSJF, the others newest first). A fixed number of statements whatever the number of epics:
    the cards of all columns in one (each column an index range with a limit), the counts in one, the
    owners' names and the limits."""
    require(uow.actor, Permission.READ)
    epic = models.Epic
    rows = uow.session.execute(_cards_statement(cards_per_column)).all()
    counted = uow.session.execute(
        select(epic.state, epic.substate, func.count()).group_by(epic.state, epic.substate)
    ).all()
    owners = usernames(uow, [r.owner_user_id for r in rows])
    limits = wip_limits(uow)
    counts: dict[Column, int] = dict.fromkeys(kanban.COLUMNS, 0)
    for state, substate, count in counted:
        counts[Column(EpicState(state), kanban.Substate(substate) if substate else None)] = int(count)
    cards: dict[Column, list[EpicSummary]] = {c: [] for c in kanban.COLUMNS}
    for card in SUMMARIES.validate_python([summary_values(r, owners, int(r.feature_count)) for r in rows]):
        cards[Column(card.state, card.substate)].append(card)
    for column, listed in cards.items():
        listed.sort(key=_card_order(column))
    state_counts: dict[EpicState, int] = {}
    for column, count in counts.items():
        state_counts[column.state] = state_counts.get(column.state, 0) + count
    return Board(
        columns=[
            BoardColumn(
                id=c.id,
                label=c.label,
                state=c.state,
                substate=c.substate,
                count=counts[c],
                wip_limit=limits[c.state],
                state_count=state_counts[c.state],
                cards=cards[c],
            )
            for c in kanban.COLUMNS
        ],
        total=sum(counts.values()),
    )


@lru_cache(maxsize=8)
def _cards_statement(cards_per_column: int) -> Select[Any]:
    """The board's cards: per column an index range with a limit, in one UNION ALL (built once)."""
    epic = models.Epic
    parts = []
    for column in kanban.COLUMNS:
        query = select(*(getattr(epic, name) for name in CARD_COLUMNS)).where(epic.state == str(column.state))
        if column.substate is not None:
            query = query.where(epic.substate == str(column.substate))
        if column.state in BACKLOG_STATES:
            query = query.order_by(
                epic.wsjf.is_(None), epic.wsjf.desc(), epic.cost_of_delay.desc(), epic.job_size, epic.id
            )
        else:
            query = query.order_by(epic.state_entered_at.desc(), epic.id.desc())
        parts.append(select(query.limit(cards_per_column).subquery()))
    cards = union_all(*parts).subquery("cards")
    features = select(func.count()).where(models.Feature.epic_id == cards.c.id).correlate(cards).scalar_subquery()
    return select(cards, features.label("feature_count"))


def _card_order(column: Column) -> Callable[[EpicSummary], Any]:
    """The order the SQL of `board` uses, for the cards of one column (a union keeps no order)."""
    if column.state in BACKLOG_STATES:
        return lambda card: (*_wsjf_order(card), card.id)
    return lambda card: (-card.state_entered_at.timestamp(), -card.id)


def _wsjf_order(card: EpicSummary) -> tuple[int, float, int, int]:
    if card.score is None:
        return (1, 0.0, 0, 0)
    return (0, -card.score.wsjf, -card.score.cost_of_delay, card.score.job_size)


# --- what the edges offer people --------------------------------------------------------------------


def move_options(column_id: str) -> list[tuple[str, str]]:
    """(column id, label) of the columns an epic in `column_id` may move to."""
    return [(c.id, c.label) for c in kanban.allowed_targets(Column.parse(column_id))]


def done_reasons_for(column_id: str) -> list[DoneReason]:
    """The reasons that fit ending an epic that is in `column_id`."""
    return sorted(kanban.DONE_REASONS_FROM.get(Column.parse(column_id), frozenset()))


def decisions_for(column_id: str) -> list[DecisionKind]:
    """The decisions the board can take about an epic in `column_id`."""
    source = Column.parse(column_id)
    return [kind for kind in DecisionKind if source in kanban.DECISION_FROM[kind]]


def column_labels() -> dict[str, str]:
    return {c.id: c.label for c in kanban.COLUMNS}
