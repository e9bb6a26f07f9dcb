"""The board and the catalog keep what they read per topic revision (`web.context.kept`): a change made
through this process shows on the next load, one made by another process once the revision is checked, and a
team's rename shows on the catalog (teams are part of its topic)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.catalog import service as catalog
from digital_factory.catalog.schemas import ServiceCreate
from digital_factory.core.actor import Actor
from digital_factory.portfolio import service as portfolio
from digital_factory.portfolio.schemas import EpicUpdate
from digital_factory.settings import Settings
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import TeamCreate, TeamUpdate
from tests.factories import actor_of, make_user, web_login
from tests.portfolio.builders import HYPOTHESIS, epic, move
from tests.processes import another_process


def _elsewhere(settings: Settings, actor: Actor, work: Callable[[UnitOfWork], object]) -> None:
    """`work(uow)` committed by another server process on the same store."""
    with another_process(settings) as other, other.store.unit_of_work(actor) as uow:
        work(uow)


def test_the_board_shows_a_move_at_once_and_another_process_s_after_the_check(
    client: TestClient, runtime: Runtime, settings: Settings
) -> None:
    web_login(client, make_user(runtime, "bea", Role.BOARD))
    bea = actor_of(runtime, "bea")
    key = epic(runtime, bea, "Night deliveries", hypothesis=HYPOTHESIS).key
    assert _column_of(client.get("/portfolio").text, key) == "funnel"
    assert _column_of(client.get("/portfolio").text, key) == "funnel"

    move(runtime, bea, key, "reviewing")
    assert _column_of(client.get("/portfolio").text, key) == "reviewing"

    _elsewhere(settings, bea, lambda uow: portfolio.update_epic(uow, key, EpicUpdate(title="Night drops")))
    runtime.store.reads.refresh_seconds = 0  # the next load checks the revision first
    assert "Night drops" in client.get("/portfolio").text


def test_the_catalog_shows_a_new_service_and_a_renamed_team(
    client: TestClient, runtime: Runtime, settings: Settings
) -> None:
    web_login(client, make_user(runtime, "pia", Role.PLATFORM))
    pia = actor_of(runtime, "pia")
    with runtime.store.unit_of_work(pia) as uow:
        teams.create_team(uow, TeamCreate(key="engines", name="Engines"))
        catalog.register_service(uow, ServiceCreate(key="engine", name="Engine", owner_team="engines"))
    assert "Engine" in client.get("/catalog").text and "Rotor" not in client.get("/catalog").text

    with runtime.store.unit_of_work(pia) as uow:
        catalog.register_service(uow, ServiceCreate(key="rotor", name="Rotor", owner_team="engines"))
        teams.update_team(uow, "engines", TeamUpdate(name="Propulsion"))
    page = client.get("/catalog").text
    assert "Rotor" in page and "Propulsion" in page

    _elsewhere(settings, pia, lambda uow: teams.update_team(uow, "engines", TeamUpdate(name="Drive")))
    runtime.store.reads.refresh_seconds = 0
    assert "Drive" in client.get("/catalog").text


def _column_of(html: str, key: str) -> str:
    """The column of the card `key` on the board's HTML."""
    card = html.index(f'data-key="{key}"')
    column = html.rindex('data-column="', 0, card) + len('data-column="')
    return html[column : html.index('"', column)]
