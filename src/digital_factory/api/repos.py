"""/repositories: hosted git repositories (clone them at `/git/<key>.git`)."""

from __future__ import annotations

from typing import Protocol, cast

from fastapi import APIRouter, Request

from digital_factory.api.context import CurrentActor
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.repos import service as repos
from digital_factory.repos.hosting import RepoHost
from digital_factory.repos.schemas import PushRecord, Repository
from digital_factory.store.uow import Store

router = APIRouter(tags=["repositories"])


class ReposRuntime(Protocol):
    store: Store
    repo_host: RepoHost
    public_url: str


class RepositoryView(Repository):
    clone_url: str


def runtime(request: Request) -> ReposRuntime:
    return cast(ReposRuntime, request.app.state.runtime)


def _view(rt: ReposRuntime, repository: Repository) -> RepositoryView:
    return RepositoryView(**repository.model_dump(), clone_url=rt.repo_host.clone_url(repository.key, rt.public_url))


@router.get("/repositories")
def list_repositories(
    request: Request, actor: CurrentActor, page: Paging, owner_team: str | None = None
) -> Page[RepositoryView]:
    rt = runtime(request)
    with rt.store.unit_of_work(actor, write=False) as uow:
        found = repos.list_repositories(uow, page, owner_team=owner_team)
    return Page(items=[_view(rt, r) for r in found.items], total=found.total, limit=found.limit, offset=found.offset)


@router.get("/repositories/{key}")
def get_repository(request: Request, actor: CurrentActor, key: str) -> RepositoryView:
    rt = runtime(request)
    with rt.store.unit_of_work(actor, write=False) as uow:
        return _view(rt, repos.get_repository(uow, key))


@router.get("/repositories/{key}/pushes")
def list_pushes(request: Request, actor: CurrentActor, key: str, page: Paging) -> Page[PushRecord]:
    with runtime(request).store.unit_of_work(actor, write=False) as uow:
        return repos.list_pushes(uow, key, page)
