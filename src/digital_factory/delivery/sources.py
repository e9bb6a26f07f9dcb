"""Reading the commits a run is for, through repos' hardened git runner (no prompts, no config-driven programs).

Sources are what `git clone` accepts. Local repositories (a path or a file:// URL) are read in place;
anything else is mirrored once into the runs folder and fetched before each read.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from digital_factory.core.errors import ValidationFailed
from digital_factory.repos.service import ZERO_SHA, GitError, run_git

GIT_TIMEOUT_SECONDS = 120
MAX_CHANGES = 500
_mirror_lock = threading.Lock()


def git(*args: str, cwd: Path | None = None, git_dir: str | None = None) -> str:
    """`git <args>` through the one hardened runner (repos'), on a repository's git directory if given."""
    argv = ["--git-dir", git_dir, *args] if git_dir is not None else list(args)
    return run_git(argv, cwd=cwd, timeout=GIT_TIMEOUT_SECONDS).stdout


def local_path(source: str) -> str | None:
    """The filesystem path of a local repository source, or None for a remote URL."""
    if source.startswith("file://"):
        return urlsplit(source).path
    if "://" in source or (":" in source.split("/", maxsplit=1)[0] and not source.startswith("/")):
        return None
    return source


@dataclass(frozen=True)
class Repository:
    """A readable git directory for a source: the local repository itself or a mirror of a remote one."""

    source: str
    git_dir: str

    @classmethod
    def open(cls, source: str, mirrors_dir: Path) -> Repository:
        path = local_path(source)
        if path is not None:
            if not Path(path).exists():
                raise ValidationFailed.on("repository", f"the repository {source!r} does not exist")
            resolved = git("rev-parse", "--absolute-git-dir", cwd=Path(path)).strip()
            return cls(source=source, git_dir=resolved)
        mirror = mirrors_dir / (hashlib.sha256(source.encode()).hexdigest()[:24] + ".git")
        with _mirror_lock:
            if not mirror.exists():
                mirrors_dir.mkdir(parents=True, exist_ok=True)
                git("clone", "--quiet", "--mirror", source, str(mirror))
            else:
                git("fetch", "--quiet", "--prune", "origin", git_dir=str(mirror))
        return cls(source=source, git_dir=str(mirror))

    def resolve(self, ref: str) -> str:
        """The commit a ref (branch, tag, full ref or sha) names."""
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            try:
                return git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", git_dir=self.git_dir).strip()
            except GitError:
                continue
        raise ValidationFailed.on("ref", f"{ref!r} is not a branch, tag or commit of {self.source}")

    def default_branch(self) -> str:
        try:
            head = git("symbolic-ref", "--quiet", "HEAD", git_dir=self.git_dir).strip()
        except GitError:
            return "main"
        return head.removeprefix("refs/heads/")

    def read_file(self, sha: str, path: str) -> str | None:
        try:
            return git("show", f"{sha}:{path}", git_dir=self.git_dir)
        except GitError:
            return None

    def describe(self, sha: str) -> str:
        try:
            return git("describe", "--tags", "--always", "--abbrev=8", sha, git_dir=self.git_dir).strip()
        except GitError:
            return sha[:8]

    def log(self, sha: str, exclude: str | None = None, limit: int = MAX_CHANGES) -> list[Commit]:
        """Commits reachable from `sha` (not from `exclude`), newest first, at most `limit`."""
        spec = [sha] if exclude is None or exclude == ZERO_SHA else [sha, f"^{exclude}"]
        out = git(
            "log",
            f"--max-count={limit}",
            "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%B%x1e",
            *spec,
            "--",
            git_dir=self.git_dir,
        )
        commits = []
        for record in out.split("\x1e"):
            fields = record.strip("\n").split("\x1f")
            if len(fields) != 6:
                continue
            commits.append(
                Commit(
                    sha=fields[0],
                    author_name=fields[1][:200],
                    author_email=fields[2][:200],
                    authored_at=datetime.fromisoformat(fields[3]),
                    committed_at=datetime.fromisoformat(fields[4]),
                    message=fields[5].strip()[:4000],
                )
            )
        return commits


@dataclass(frozen=True)
class Commit:
    sha: str
    author_name: str
    author_email: str
    authored_at: datetime
    committed_at: datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0][:300] if self.message else ""


def checkout(repository: Repository, sha: str, target: Path) -> None:
    """A working tree of `sha` at `target` (shares objects with a local repository: fast, read-only use)."""
    git("clone", "--quiet", "--template=", "--no-checkout", "--shared", repository.git_dir, str(target))
    git("checkout", "--quiet", "--detach", sha, cwd=target)
