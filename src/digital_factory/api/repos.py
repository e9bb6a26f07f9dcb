"""/repositories: hosted git repositories (clone them at `/git/<key>.git`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from digital_factory.api.context import Reading, runtime
from digital_factory.api.paging import Paging
from digital_factory.core.pagination import Page
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import PushRecord, Repository

router = APIRouter(tags=["repositories"])


class RepositoryView(Repository):
    clone_url: str


def _view(request: Request, repository: Repository) -> RepositoryView:
    rt = runtime(request)
    return RepositoryView(**repository.model_dump(), clone_url=rt.repo_host.clone_url(repository.key, rt.public_url))


@router.get("/repositories")
def list_repositories(
    request: Request, uow: Reading, page: Paging, owner_team: str | None = None
) -> Page[RepositoryView]:
    found = repos.list_repositories(uow, page, owner_team=owner_team)
    return Page(
        items=[_view(request, r) for r in found.items], total=found.total, limit=found.limit, offset=found.offset
    )


@router.get("/repositories/{key}")
def get_repository(request: Request, uow: Reading, key: str) -> RepositoryView:
    return _view(request, repos.get_repository(uow, key))


@router.get("/repositories/{key}/pushes")
def list_pushes(uow: Reading, key: str, page: Paging) -> Page[PushRecord]:
    return repos.list_pushes(uow, key, page)
