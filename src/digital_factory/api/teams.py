"""/teams."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from digital_factory.accounts.policy import require
from digital_factory.accounts.roles import Permission
from digital_factory.api.context import CurrentActor, runtime
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.teams import service as teams
from digital_factory.teams.schemas import MemberAdd, Team, TeamCreate

router = APIRouter(tags=["teams"])


@router.get("/teams")
def list_teams(request: Request, actor: CurrentActor, page: Paging) -> Page[Team]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return teams.list_teams(uow, page)


@router.post("/teams", status_code=status.HTTP_201_CREATED)
def create_team(request: Request, actor: CurrentActor, data: TeamCreate) -> Team:
    with runtime(request).store.unit_of_work(actor) as uow:
        return teams.create_team(uow, data)


@router.get("/teams/{key}")
def get_team(request: Request, actor: CurrentActor, key: str) -> Team:
    require(actor, Permission.READ)
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return teams.get_team(uow, key)


@router.post("/teams/{key}/members", status_code=status.HTTP_201_CREATED)
def add_member(request: Request, actor: CurrentActor, key: str, data: MemberAdd) -> Team:
    with runtime(request).store.unit_of_work(actor) as uow:
        return teams.add_member(uow, key, data)
