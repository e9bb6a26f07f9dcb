"""Reading a hosted repository for people (the repository browser): branches, trees, files, commits, diffs.

Everything is read from git's object database through the hardened runner (never from a work tree, so a
symbolic link is shown as its target's name and never followed). Every read is bounded: entries of a
folder, bytes of a file, commits of a page, lines and bytes of a diff. Reading needs `read`.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from digital_factory.accounts.schemas import Permission
from digital_factory.accounts.service import require
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.core.pagination import Page, PageRequest
from digital_factory.repos import models
from digital_factory.repos.git import read_bounded, run
from digital_factory.repos.hosting import RepoHost
from digital_factory.repos.schemas import Blob, Branch, CommitDiff, CommitInfo, FileDiff, Tree, TreeEntry
from digital_factory.store.uow import UnitOfWork

MAX_TREE_ENTRIES = 1000
MAX_BLOB_BYTES = 512 * 1024
MAX_BRANCHES = 200
MAX_COMMITS_PAGE = 100
MAX_DIFF_FILES = 300
MAX_DIFF_LINES = 20_000
MAX_DIFF_BYTES = 1024 * 1024
MAX_PATH = 1000

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_KINDS = {"040000": "tree", "120000": "symlink", "160000": "submodule"}
_COMMIT_FORMAT = "%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%B%x1e"


def _open(uow: UnitOfWork, host: RepoHost, key: str) -> tuple[models.Repository, str]:
    """The repository's row and git directory; `read` needed, NotFound when it is not hosted here."""
    require(uow.actor, Permission.READ)
    row = uow.session.scalar(select(models.Repository).where(models.Repository.key == key))
    if row is None:
        raise NotFound(f"no repository with the key {key!r}")
    git_dir = host.git_dir(key)
    if git_dir is None or not git_dir.is_dir():
        raise NotFound(f"repository {key!r} has no storage on this server")
    return row, str(git_dir)


def _git(git_dir: str, *args: str) -> str:
    return run(["--git-dir", git_dir, *args]).stdout


def clean_path(path: str) -> str:
    """A path inside the repository ('' for its root); ValidationFailed for anything that could leave it."""
    path = path.strip("/")
    if not path:
        return ""
    parts = path.split("/")
    if len(path) > MAX_PATH or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise ValidationFailed.on("path", f"{path[:100]!r} is not a path inside the repository")
    return path


def _resolve(git_dir: str, ref: str) -> str:
    """The commit a branch, tag or commit id names."""
    if not _REF.match(ref) or ".." in ref:
        raise ValidationFailed.on("ref", f"{ref[:100]!r} is not a branch, tag or commit id")
    candidates = [f"refs/heads/{ref}", f"refs/tags/{ref}"] + ([ref] if _SHA.match(ref) else [])
    for candidate in candidates:
        done = run(["--git-dir", git_dir, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], check=False)
        if done.returncode == 0:
            return done.stdout.strip()
    raise NotFound(f"{ref!r} is not a branch, tag or commit of this repository")


def list_branches(uow: UnitOfWork, host: RepoHost, key: str) -> list[Branch]:
    """Branches, the most recently changed first (at most MAX_BRANCHES); [] for an empty repository."""
    row, git_dir = _open(uow, host, key)
    out = _git(
        git_dir,
        "for-each-ref",
        "--sort=-committerdate",
        f"--count={MAX_BRANCHES}",
        "--format=%(refname:strip=2)%1f%(objectname)%1f%(committerdate:iso-strict)%1f%(contents:subject)",
        "refs/heads",
    )
    branches = []
    for line in out.splitlines():
        name, sha, date, subject = ([*line.split("\x1f"), "", "", ""])[:4]
        branches.append(
            Branch(
                name=name,
                sha=sha,
                subject=subject[:300],
                committed_at=datetime.fromisoformat(date),
                is_default=name == row.default_branch,
            )
        )
    return branches


def list_tree(uow: UnitOfWork, host: RepoHost, key: str, ref: str | None = None, path: str = "") -> Tree:
    """One folder at a ref (default: the default branch): folders first, then files, by name."""
    row, git_dir = _open(uow, host, key)
    ref, path = ref or row.default_branch, clean_path(path)
    sha = _resolve(git_dir, ref)
    if path:
        kind = run(["--git-dir", git_dir, "cat-file", "-t", f"{sha}:{path}"], check=False).stdout.strip()
        if kind != "tree":
            raise NotFound(f"there is no folder {path!r} at {ref}")
    entries = _ls_tree(git_dir, f"{sha}:{path}" if path else sha)
    entries.sort(key=lambda e: (e.kind != "tree", e.name.lower()))
    return Tree(
        ref=ref,
        sha=sha,
        path=path,
        entries=[e.model_copy(update={"path": f"{path}/{e.name}" if path else e.name}) for e in entries][
            :MAX_TREE_ENTRIES
        ],
        truncated=len(entries) > MAX_TREE_ENTRIES,
    )


def _ls_tree(git_dir: str, treeish: str, *only: str) -> list[TreeEntry]:
    out = _git(git_dir, "ls-tree", "-l", "-z", treeish, "--", *only)
    entries = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        mode, _kind, _object, size = meta.split(maxsplit=3)
        kind = _KINDS.get(mode, "blob")
        entries.append(
            TreeEntry(name=name.rsplit("/", 1)[-1], path=name, kind=kind, size=int(size) if size.isdigit() else None)
        )
    return entries


def read_blob(uow: UnitOfWork, host: RepoHost, key: str, path: str, ref: str | None = None) -> Blob:
    """One file at a ref: its text (None when binary or over MAX_BLOB_BYTES); a link's target as text."""
    row, git_dir = _open(uow, host, key)
    ref, path = ref or row.default_branch, clean_path(path)
    sha = _resolve(git_dir, ref)
    found = [e for e in _ls_tree(git_dir, sha, path) if e.path == path] if path else []
    if not found or found[0].kind in ("tree", "submodule"):
        raise NotFound(f"there is no file {path!r} at {ref}")
    entry = found[0]
    size = entry.size or 0
    if size > MAX_BLOB_BYTES:
        return Blob(ref=ref, path=path, size=size, kind=entry.kind, too_large=True)
    content, _ = read_bounded(["--git-dir", git_dir, "cat-file", "blob", f"{sha}:{path}"], max_bytes=MAX_BLOB_BYTES)
    binary = b"\0" in content[:8000]
    text = None if binary else content.decode("utf-8", errors="replace")
    return Blob(ref=ref, path=path, size=size, kind=entry.kind, text=text)


def find_readme(uow: UnitOfWork, host: RepoHost, key: str, tree: Tree) -> Blob | None:
    """The folder's README (README.md first), if it has one."""
    names = {e.name.lower(): e for e in tree.entries if e.kind == "blob"}
    for candidate in ("readme.md", "readme.markdown", "readme", "readme.txt", "readme.rst"):
        if candidate in names:
            return read_blob(uow, host, key, names[candidate].path, tree.sha)
    return None


def list_commits(
    uow: UnitOfWork, host: RepoHost, key: str, page: PageRequest, *, ref: str | None = None, path: str = ""
) -> Page[CommitInfo]:
    """Commits reachable from a ref, newest first, a page at a time (at most MAX_COMMITS_PAGE)."""
    row, git_dir = _open(uow, host, key)
    ref, path = ref or row.default_branch, clean_path(path)
    sha = _resolve(git_dir, ref)
    limit = min(page.limit, MAX_COMMITS_PAGE)
    only = ["--", path] if path else ["--"]
    total = int(_git(git_dir, "rev-list", "--count", sha, *only).strip() or 0)
    out = _git(
        git_dir, "log", f"--max-count={limit}", f"--skip={page.offset}", f"--format={_COMMIT_FORMAT}", sha, *only
    )
    return Page(items=_commits(out), total=total, limit=limit, offset=page.offset)


def _commits(out: str) -> list[CommitInfo]:
    commits = []
    for record in out.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) != 6:
            continue
        message = fields[5].strip()
        commits.append(
            CommitInfo(
                sha=fields[0],
                parents=fields[1].split(),
                author_name=fields[2][:200],
                author_email=fields[3][:200],
                authored_at=datetime.fromisoformat(fields[4]),
                subject=message.splitlines()[0][:300] if message else "",
                message=message[:10_000],
            )
        )
    return commits


def commit_diff(uow: UnitOfWork, host: RepoHost, key: str, sha: str) -> CommitDiff:
    """A commit and what it changed against its first parent (everything, for the first commit), bounded."""
    _, git_dir = _open(uow, host, key)
    if not _SHA.match(sha):
        raise ValidationFailed.on("sha", f"{sha[:100]!r} is not a commit id")
    full = _resolve(git_dir, sha)
    commit = _commits(_git(git_dir, "log", "-1", f"--format={_COMMIT_FORMAT}", full))[0]
    span = [commit.parents[0], full] if commit.parents else ["--root", full]
    files = _numstat(_git(git_dir, "diff-tree", "-r", "-z", "-M", "--numstat", "--no-commit-id", *span))
    truncated = len(files) > MAX_DIFF_FILES
    files = files[:MAX_DIFF_FILES]
    lines = sum((f.added or 0) + (f.deleted or 0) for f in files)
    if files and lines <= MAX_DIFF_LINES:
        raw, cut = read_bounded(
            ["--git-dir", git_dir, "diff-tree", "-r", "-M", "-p", "--no-commit-id", *span], max_bytes=MAX_DIFF_BYTES
        )
        patches = _split_patches(raw.decode("utf-8", errors="replace"))
        truncated = truncated or cut
        files = [f.model_copy(update={"patch": patches.get(f.path)}) if f.added is not None else f for f in files]
    else:
        truncated = truncated or bool(files)
    return CommitDiff(commit=commit, files=files, truncated=truncated)


def _numstat(out: str) -> list[FileDiff]:
    """`diff-tree --numstat -z`: `added TAB deleted TAB path NUL`, or for a rename `... TAB NUL old NUL new NUL`."""
    files = []
    fields = out.split("\0")
    index = 0
    while index < len(fields):
        head = fields[index]
        index += 1
        if not head:
            continue
        added, deleted, path = ([*head.split("\t"), "", ""])[:3]
        old = None
        if not path:  # a rename or copy: the two paths follow
            old, path = fields[index], fields[index + 1]
            index += 2
        binary = added == "-"
        files.append(
            FileDiff(
                path=path,
                old_path=old,
                added=None if binary else int(added),
                deleted=None if binary else int(deleted),
            )
        )
    return files


_PATCH_HEAD = re.compile(r"^diff --git a/.* b/(.*)$")


def _split_patches(text: str) -> dict[str, str]:
    """The unified diff cut per file, by the file's new path (the header's `+++ b/...`, or the `b/` name)."""
    patches: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        head = _PATCH_HEAD.match(line)
        if head:
            current = patches.setdefault(head.group(1), [])
            continue
        if current is not None:
            current.append(line)
    return {path: "\n".join(lines) for path, lines in patches.items()}


__all__ = [
    "clean_path",
    "commit_diff",
    "find_readme",
    "list_branches",
    "list_commits",
    "list_tree",
    "read_blob",
]
