"""Test data for releases, made through the services: a service with dev/staging/prod, people, flags."""

from __future__ import annotations

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.releases import service as releases
from digital_factory.releases.schemas import Flag, FlagCreate
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, TeamCreate, TeamType
from tests.factories import MadeUser, actor_of, ensure_work, make_user

SERVICE = "flight-control"
OTHER = "engine-control"


def flight_control(runtime: Runtime) -> dict[str, MadeUser]:
    """The service (dev, staging automatic; prod approved by team or admin) and its people: flight-control
    and engine-control belong to flight-software (flight, fred) and power-systems (power); tess has the team
    role and no team; pm and pat are product, pia platform, vic a viewer."""
    people = {
        "pia": make_user(runtime, "pia", Role.PLATFORM),
        "pm": make_user(runtime, "pm", Role.PRODUCT),
        "pat": make_user(runtime, "pat", Role.PRODUCT),
        "flight": make_user(runtime, "flight", Role.TEAM),
        "fred": make_user(runtime, "fred", Role.TEAM),
        "power": make_user(runtime, "power", Role.TEAM),
        "tess": make_user(runtime, "tess", Role.TEAM),
        "vic": make_user(runtime, "vic", Role.VIEWER),
    }
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        for team, name, members in (
            ("flight-software", "Flight Software", ("flight", "fred")),
            ("power-systems", "Power Systems", ("power",)),
        ):
            teams.create_team(uow, TeamCreate(key=team, name=name, team_type=TeamType.STREAM_ALIGNED))
            for member in members:
                teams.add_member(uow, team, MemberAdd(username=member, team_role="engineer"))
        catalog.register_service(uow, ServiceCreate(key=SERVICE, name="Flight control", owner_team="flight-software"))
        catalog.register_service(uow, ServiceCreate(key=OTHER, name="Engine control", owner_team="power-systems"))
    return people


def make_flag(runtime: Runtime, key: str = "heavy-lift-mode", by: str = "pm", **fields: object) -> Flag:
    if isinstance(fields.get("feature"), str):
        ensure_work(runtime, str(fields["feature"]))
    with runtime.store.unit_of_work(actor_of(runtime, by)) as uow:
        return releases.create_flag(uow, SERVICE, FlagCreate.model_validate({"key": key, **fields}))
