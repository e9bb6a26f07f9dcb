"""Builders that make test data through the services (the front door), never by raw inserts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.testclient import TestClient

from digital_factory.accounts import service as accounts
from digital_factory.accounts.schemas import Role, TokenCreate, UserCreate
from digital_factory.app.factory import Runtime
from digital_factory.core.actor import Actor, Origin, system_actor

DEFAULT_PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class MadeUser:
    username: str
    password: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_user(
    runtime: Runtime,
    username: str,
    role: Role = Role.VIEWER,
    *,
    scopes: list[str] | None = None,
    password: str = DEFAULT_PASSWORD,
) -> MadeUser:
    """A user with a known password and an API token (optionally narrowed to `scopes`)."""
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        accounts.create_user(uow, UserCreate(username=username, role=role, password=password))
        token = accounts.create_token(uow, runtime.digester, username, TokenCreate(name="tests", scopes=scopes))
    return MadeUser(username=username, password=password, role=role, token=token.secret)


def actor_of(runtime: Runtime, username: str) -> Actor:
    with runtime.store.unit_of_work(system_actor("tests"), write=False) as uow:
        return accounts.actor_for(accounts.get_user(uow, username), origin=Origin.API)


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def web_login(client: TestClient, user: MadeUser) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    response = client.post(
        "/login",
        data={"username": user.username, "password": user.password},
        headers={"Origin": "http://testserver"},
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    match = CSRF_META.search(response.text)
    assert match, "signed-in pages carry the CSRF token"
    return match.group(1)


def ensure_work(runtime: Runtime, key: str) -> str:
    """Make the portfolio hold `key` (EPIC-n or FEAT-n): epics and features are numbered in creation
    order, so this creates placeholders up to n. Other capabilities refuse work keys that don't exist."""
    from digital_factory.core.keys import parse_key
    from digital_factory.portfolio import service as portfolio
    from digital_factory.portfolio.schemas import EpicCreate, FeatureCreate
    from digital_factory.store.sequences import current_value

    prefix, number = parse_key(key)
    with runtime.store.unit_of_work(system_actor("tests")) as uow:
        if prefix == "EPIC" or current_value(uow.session, "EPIC") == 0:
            for n in range(current_value(uow.session, "EPIC"), number if prefix == "EPIC" else 1):
                portfolio.create_epic(uow, EpicCreate(title=f"Epic {n + 1}"))
        if prefix == "FEAT":
            for n in range(current_value(uow.session, "FEAT"), number):
                portfolio.create_feature(uow, FeatureCreate(epic="EPIC-1", title=f"Feature {n + 1}"))
    return key


def made_by_the_product(client: TestClient, runtime: Runtime, admin: MadeUser) -> None:
    """Objects the product made through its own doors, for tests that send anything to every route: the
    team flight-software, its service engine-control with the flag heavy-lift-mode, EPIC-1 and FEAT-1."""
    ensure_work(runtime, "FEAT-1")
    for url, body in (
        ("/api/v1/teams", {"key": "flight-software", "name": "Flight Software"}),
        ("/api/v1/services", {"key": "engine-control", "name": "Engine control", "owner_team": "flight-software"}),
        ("/api/v1/services/engine-control/flags", {"key": "heavy-lift-mode"}),
    ):
        response = client.post(url, headers=admin.headers, json=body)
        assert response.status_code == 201, (url, response.text)
