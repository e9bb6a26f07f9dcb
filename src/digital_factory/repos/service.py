"""Repos use-cases: hosted repositories, who may read and push, and the record of pushes.

Callers own the transaction. Creating a repository touches the host (a folder, or a provider's API)
as well as the store: a caller whose transaction fails afterwards must call `host.delete` (onboarding
does).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from digital_factory.accounts.schemas import Permission, Role
from digital_factory.accounts.service import record_audit, require
from digital_factory.core.errors import Conflict, NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.repos import git, models
from digital_factory.repos.browse import (
    MAX_BLOB_BYTES,
    MAX_DIFF_BYTES,
    MAX_TREE_ENTRIES,
    clean_path,
    commit_diff,
    find_readme,
    list_branches,
    list_commits,
    list_tree,
    read_blob,
)
from digital_factory.repos.events import PushReceived
from digital_factory.repos.git import ZERO_SHA, GitError, commit_all, init_bare, list_refs, ref_changes, show_file
from digital_factory.repos.git import environment as git_environment
from digital_factory.repos.git import run as run_git
from digital_factory.repos.hosting import LocalRepoHost, RepoHost
from digital_factory.repos.schemas import PushRecord, RefUpdate, Repository, RepositoryCreate
from digital_factory.repos.smart_http import BackendFailed, BodyTooLarge, GitRequest, cgi_environment, run_backend
from digital_factory.repos.smart_http import parse as parse_git_request
from digital_factory.store.paging import paginate
from digital_factory.store.uow import UnitOfWork
from digital_factory.teams import service as teams

PUSHERS = (Role.PLATFORM,)  # besides the owning team's members and admin


def create_repository(uow: UnitOfWork, host: RepoHost, data: RepositoryCreate) -> Repository:
    """Register and create an empty repository on `host`."""
    require(uow.actor, Permission.PLATFORM_WRITE)
    if uow.session.scalar(select(models.Repository.id).where(models.Repository.key == data.key)):
        raise Conflict(f"a repository with the key {data.key!r} already exists", rule="unique-repository-key")
    owner_id = teams.team_id(uow, data.owner_team) if data.owner_team else None
    row = models.Repository(
        key=data.key,
        description=data.description,
        host=host.kind,
        owner_team_id=owner_id,
        service_key=data.service_key,
        default_branch="main",
        created_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    host.create(data.key)
    record_audit(uow, "repository.create", "repository", row.key, after=data.model_dump(mode="json"))
    return _out(uow, row)


def get_repository(uow: UnitOfWork, key: str) -> Repository:
    require(uow.actor, Permission.READ)
    return _out(uow, _row(uow, key))


def list_repositories(uow: UnitOfWork, page: PageRequest, *, owner_team: str | None = None) -> Page[Repository]:
    require(uow.actor, Permission.READ)
    query = select(models.Repository)
    if owner_team:
        query = query.where(models.Repository.owner_team_id == teams.team_id(uow, owner_team))

    def items(rows: Sequence[models.Repository]) -> list[Repository]:
        return [_out(uow, r) for r in rows]

    return paginate(uow.session, query, page, items, order_by=[models.Repository.key])


def repository_for_service(uow: UnitOfWork, service_key: str) -> Repository | None:
    row = uow.session.scalar(select(models.Repository).where(models.Repository.service_key == service_key))
    return _out(uow, row) if row else None


def repositories_for_services(uow: UnitOfWork, service_keys: Collection[str]) -> dict[str, Repository]:
    """The hosted repositories of these services, by service key (services without one are absent): three
    queries, however many services."""
    require(uow.actor, Permission.READ)
    wanted = sorted(set(service_keys))
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(models.Repository).where(models.Repository.service_key.in_(wanted))))
    push = models.Push
    last_pushes: dict[int, datetime] = {
        repository_id: pushed_at
        for repository_id, pushed_at in uow.session.execute(
            select(push.repository_id, func.max(push.pushed_at))
            .where(push.repository_id.in_([r.id for r in rows]))
            .group_by(push.repository_id)
        )
    }
    owners = teams.team_refs(uow, {r.owner_team_id for r in rows if r.owner_team_id})
    return {
        r.service_key: Repository(
            id=r.id,
            key=r.key,
            description=r.description,
            host=r.host,
            owner_team=owners[r.owner_team_id].key if r.owner_team_id else None,
            service_key=r.service_key,
            default_branch=r.default_branch,
            created_at=r.created_at,
            last_push_at=last_pushes.get(r.id),
        )
        for r in rows
        if r.service_key
    }


def authorize_read(uow: UnitOfWork, key: str) -> None:
    """Reading (clone, fetch) needs the `read` permission; the repository must exist."""
    require(uow.actor, Permission.READ)
    _row(uow, key)


def authorize_push(uow: UnitOfWork, key: str) -> None:
    """Pushing needs `delivery:write` (a push starts a pipeline) and membership of the repository's owning
    team, or the platform role (admin always; docs/accounts.md, "Ownership"). The caller audits a refusal
    with `record_refused_push` in its own transaction (this one rolls back with the error)."""
    row = _row(uow, key)
    teams.require_owner(uow, row.owner_team_id, Permission.DELIVERY_WRITE, what=f"the repository {key}", roles=PUSHERS)


def record_refused_push(uow: UnitOfWork, key: str, reason: str) -> None:
    record_audit(uow, "repository.push", "repository", key, outcome="denied", detail=reason[:500])


def can_push(uow: UnitOfWork, key: str) -> bool:
    """`authorize_push` as a question, for the actor of `uow`."""
    return teams.may_act(uow, _row(uow, key).owner_team_id, Permission.DELIVERY_WRITE, PUSHERS)


def record_push(
    uow: UnitOfWork, host: RepoHost, key: str, updates: Sequence[tuple[str, str, str]], *, pusher: str | None
) -> list[PushRecord]:
    """Record each ref update of one push and emit `PushReceived` for it (published after commit)."""
    row = _row(uow, key)
    now = uow.clock.now()
    git_dir = host.git_dir(key)
    records = []
    for ref, before, after in updates:
        if not git.is_valid_ref(ref):
            raise ValidationFailed.on("ref", f"{ref!r} is not a branch or tag name")
        push = models.Push(repository_id=row.id, ref=ref, before=before, after=after, pusher=pusher, pushed_at=now)
        uow.session.add(push)
        uow.session.flush()
        records.append(_push_out(row.key, push))
        uow.emit(_received(row, push, str(git_dir) if git_dir else host.remote(key)))
    if records:
        record_audit(
            uow,
            "repository.push",
            "repository",
            key,
            after={"updates": [RefUpdate(ref=r, before=b, after=a).model_dump() for r, b, a in updates]},
        )
    return records


def claim_push(uow: UnitOfWork, push_id: int) -> bool:
    """Mark a stored push handled; False when someone else already did (a conditional update: of two
    transactions racing for the same push exactly one gets True)."""
    claimed = uow.session.execute(
        update(models.Push)
        .where(models.Push.id == push_id, models.Push.handled_at.is_(None))
        .values(handled_at=uow.clock.now())
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def unhandled_pushes(
    uow: UnitOfWork, host: RepoHost, *, pushed_before: datetime, limit: int = 50
) -> list[PushReceived]:
    """Stored pushes nobody has claimed yet (their subscriber crashed or failed), oldest first, as events."""
    rows = uow.session.execute(
        select(models.Push, models.Repository)
        .join(models.Repository, models.Repository.id == models.Push.repository_id)
        .where(models.Push.handled_at.is_(None), models.Push.pushed_at < pushed_before)
        .order_by(models.Push.id)
        .limit(limit)
    ).all()
    events = []
    for push, repository in rows:
        git_dir = host.git_dir(repository.key)
        events.append(_received(repository, push, str(git_dir) if git_dir else host.remote(repository.key)))
    return events


def _received(repository: models.Repository, push: models.Push, git_dir: str) -> PushReceived:
    return PushReceived(
        repository_key=repository.key,
        service_key=repository.service_key,
        git_dir=git_dir,
        ref=push.ref,
        before=push.before,
        after=push.after,
        pusher=push.pusher,
        push_id=push.id,
    )


def list_pushes(uow: UnitOfWork, key: str, page: PageRequest) -> Page[PushRecord]:
    require(uow.actor, Permission.READ)
    row = _row(uow, key)
    query = select(models.Push).where(models.Push.repository_id == row.id)

    def items(rows: Sequence[models.Push]) -> list[PushRecord]:
        return [_push_out(row.key, p) for p in rows]

    return paginate(uow.session, query, page, items, order_by=[models.Push.id.desc()])


def _row(uow: UnitOfWork, key: str) -> models.Repository:
    row = uow.session.scalar(select(models.Repository).where(models.Repository.key == key))
    if row is None:
        raise NotFound(f"no repository with the key {key!r}")
    return row


def _push_out(key: str, row: models.Push) -> PushRecord:
    return PushRecord(
        id=row.id,
        repository=key,
        ref=row.ref,
        before=row.before,
        after=row.after,
        pusher=row.pusher,
        pushed_at=row.pushed_at,
    )


def _out(uow: UnitOfWork, row: models.Repository) -> Repository:
    last_push = uow.session.scalar(select(func.max(models.Push.pushed_at)).where(models.Push.repository_id == row.id))
    return Repository(
        id=row.id,
        key=row.key,
        description=row.description,
        host=row.host,
        owner_team=teams.team_key_of(uow, row.owner_team_id) if row.owner_team_id else None,
        service_key=row.service_key,
        default_branch=row.default_branch,
        created_at=row.created_at,
        last_push_at=last_push,
    )


__all__ = [
    "MAX_BLOB_BYTES",
    "MAX_DIFF_BYTES",
    "MAX_TREE_ENTRIES",
    "ZERO_SHA",
    "BackendFailed",
    "BodyTooLarge",
    "GitError",
    "GitRequest",
    "LocalRepoHost",
    "RepoHost",
    "authorize_push",
    "authorize_read",
    "can_push",
    "cgi_environment",
    "claim_push",
    "clean_path",
    "commit_all",
    "commit_diff",
    "create_repository",
    "find_readme",
    "get_repository",
    "git_environment",
    "init_bare",
    "list_branches",
    "list_commits",
    "list_pushes",
    "list_refs",
    "list_repositories",
    "list_tree",
    "parse_git_request",
    "read_blob",
    "record_push",
    "record_refused_push",
    "ref_changes",
    "repositories_for_services",
    "repository_for_service",
    "run_backend",
    "run_git",
    "show_file",
    "unhandled_pushes",
]
