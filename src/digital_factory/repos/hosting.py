"""Where repositories live. `RepoHost` is the interface; `LocalRepoHost` is the embedded default.

A GitHub or GitLab adapter (in `integrations/`) implements the same protocol through the provider's
API: `create` makes an empty repository, `remote` returns a URL the platform's own git commands can
push to and clone from (carrying the adapter's credential through `remote_env`, never in the URL
that is stored or shown), `clone_url` is what people use, and pushes are reported back by the
provider's webhooks (which publish `repos.events.PushReceived`), where the hosted default records them
itself. See docs/platform.md, "Repository hosts".
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol

from digital_factory.core.errors import Conflict, NotFound
from digital_factory.repos import git

KIND_HOSTED = "hosted"


class RepoHost(Protocol):
    kind: str

    def create(self, key: str) -> None:
        """Make an empty repository (no commits); Conflict when it exists."""

    def delete(self, key: str) -> None:
        """Remove a repository (compensation for a failed onboarding)."""

    def exists(self, key: str) -> bool: ...

    def remote(self, key: str) -> str:
        """A git remote the server's own git commands push to and fetch from."""

    def remote_env(self, key: str) -> dict[str, str]:
        """Extra environment for git commands against `remote(key)` (an adapter's credential helper)."""

    def clone_url(self, key: str, public_url: str) -> str:
        """What people type after `git clone`."""

    def git_dir(self, key: str) -> Path | None:
        """A local bare repository readable with `git --git-dir`, when the host keeps one."""


class LocalRepoHost:
    """Bare repositories in the data folder (`<home>/repos/<key>.git`), served by `git http-backend`."""

    kind = KIND_HOSTED

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / f"{key}.git").resolve()
        if path.parent != self.root.resolve():
            raise NotFound(f"no repository {key!r}")
        return path

    def create(self, key: str) -> None:
        path = self.path(key)
        if path.exists():
            raise Conflict(f"a repository folder for {key!r} already exists", rule="unique-repository-key")
        git.init_bare(path)

    def delete(self, key: str) -> None:
        path = self.path(key)
        if path.exists():
            shutil.rmtree(path)

    def exists(self, key: str) -> bool:
        return self.path(key).is_dir()

    def remote(self, key: str) -> str:
        return str(self.path(key))

    def remote_env(self, key: str) -> dict[str, str]:
        return {}

    def clone_url(self, key: str, public_url: str) -> str:
        return f"{public_url.rstrip('/')}/git/{key}.git"

    def git_dir(self, key: str) -> Path | None:
        return self.path(key)
