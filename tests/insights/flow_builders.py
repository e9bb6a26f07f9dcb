"""Flow test data, made through portfolio's services with the clock set: a day-by-day script of moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor
from digital_factory.core.clock import FixedClock
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import DecisionKind, FeatureCreate, FlowItem, StateChange, WorkState
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate
from tests.factories import actor_of, make_user
from tests.portfolio.builders import decide, people, ready_epic

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class Script:
    """People, a fixed clock and the moves made at given days."""

    def __init__(self, runtime: Runtime, start: datetime = T0) -> None:
        self.runtime = runtime
        self.start = start
        self.clock = FixedClock(start)
        runtime.store.clock = self.clock
        self.board, self.pm = people(runtime)
        make_user(runtime, "pia", Role.PLATFORM)
        with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
            teams.create_team(uow, TeamCreate(key="flight-software", name="Flight Software"))
            teams.create_team(uow, TeamCreate(key="power-systems", name="Power Systems"))

    def at(self, n: float) -> Script:
        self.clock.set(self.start + timedelta(days=n))
        return self

    def feature(self, epic_key: str, title: str, flow_item: FlowItem, team: str = "flight-software") -> str:
        with self.runtime.store.unit_of_work(self.pm) as uow:
            data = FeatureCreate(epic=epic_key, title=title, flow_item=flow_item, team=team)
            return portfolio.create_feature(uow, data).key

    def change(self, key: str, to: WorkState) -> None:
        with self.runtime.store.unit_of_work(self.pm) as uow:
            portfolio.change_feature_state(uow, key, StateChange(to=to))

    def reader(self) -> Actor:
        return self.pm


def flow_data(runtime: Runtime) -> tuple[Script, dict[str, str]]:
    """The hand-worked data set of docs/insights.md's example (see tests/insights/test_flow.py)."""
    s = Script(runtime)
    main = ready_epic(runtime, s.board, "Heavy-lift drones").key
    doomed = ready_epic(runtime, s.board, "Night flights").key
    s.at(0)
    keys = {
        "A": s.feature(main, "Payload bay", FlowItem.FEATURE),
        "B": s.feature(main, "Battery drain fix", FlowItem.DEFECT),
        "C": s.feature(main, "Flight permit checks", FlowItem.RISK),
        "D": s.feature(main, "Cargo tracking", FlowItem.FEATURE),
        "E": s.feature(doomed, "Night sensors upgrade", FlowItem.DEBT),
        "F": s.feature(main, "Early prototype", FlowItem.FEATURE),
        "main": main,
        "doomed": doomed,
    }
    for n, item, to in (
        (1, "F", WorkState.ACTIVE),
        (2, "A", WorkState.ACTIVE),
        (3, "F", WorkState.DONE),
        (5, "C", WorkState.WAITING),
        (11, "B", WorkState.ACTIVE),
        (12, "A", WorkState.WAITING),
        (13, "B", WorkState.DONE),
        (14, "A", WorkState.ACTIVE),
        (15, "E", WorkState.ACTIVE),
        (16, "A", WorkState.DONE),
    ):
        s.at(n).change(keys[item], to)
    s.at(18)
    decide(runtime, s.board, doomed, DecisionKind.NO_GO)  # ends the epic: E is canceled
    s.at(30)
    return s, keys
