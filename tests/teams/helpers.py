"""Builders for team tests: the drone company's teams, made through the services."""

from __future__ import annotations

from datetime import UTC, datetime

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.clock import FixedClock
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate, TeamType
from tests.factories import MadeUser, actor_of, make_user

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def fix_clock(runtime: Runtime, moment: datetime = NOW) -> FixedClock:
    clock = FixedClock(moment)
    runtime.store.clock = clock
    return clock


def drone_teams(runtime: Runtime) -> dict[str, MadeUser]:
    """pia (platform role) runs the org; fiona and pavel are team members; vic only reads."""
    people = {
        "pia": make_user(runtime, "pia", Role.PLATFORM),
        "fiona": make_user(runtime, "fiona", Role.TEAM),
        "pavel": make_user(runtime, "pavel", Role.TEAM),
        "vic": make_user(runtime, "vic", Role.VIEWER),
    }
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for key, name, kind in (
            ("flight-software", "Flight Software", TeamType.STREAM_ALIGNED),
            ("power-systems", "Power Systems", TeamType.STREAM_ALIGNED),
            ("platform", "Platform", TeamType.PLATFORM),
            ("coaching", "Delivery Coaching", TeamType.ENABLING),
        ):
            teams.create_team(uow, TeamCreate(key=key, name=name, team_type=kind, mission=f"{name} mission"))
        teams.add_member(uow, "flight-software", MemberAdd(username="fiona", team_role="tech lead"))
        teams.add_member(uow, "power-systems", MemberAdd(username="pavel", team_role="engineer"))
        teams.add_member(uow, "platform", MemberAdd(username="pia", team_role="product manager"))
    return people
