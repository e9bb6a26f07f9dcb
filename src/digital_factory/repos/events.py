"""Repository events. Delivery subscribes to pushes to start pipelines."""

from __future__ import annotations

from dataclasses import dataclass

from digital_factory.core.events import DomainEvent


@dataclass(frozen=True)
class PushReceived(DomainEvent):
    """A ref moved in a repository (published after the push is recorded).

    `git_dir` is a location `git clone` and `git --git-dir` can read directly (the bare repository of a
    hosted repo); `before` is forty zeros when the ref was created."""

    repository_key: str
    service_key: str | None
    git_dir: str
    ref: str
    before: str
    after: str
    pusher: str | None
    push_id: int | None = None  # the stored push record (claimed with `claim_push` by the one who acts on it)
