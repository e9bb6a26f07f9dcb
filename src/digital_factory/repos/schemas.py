"""Public DTOs of the repos domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from digital_factory.core.schemas import InputModel, OutputModel
from digital_factory.core.slugs import SLUG_PATTERN


class RepositoryCreate(InputModel):
    key: str = Field(pattern=SLUG_PATTERN, description="Repository name; cloned as `/git/<key>.git`.")
    description: str = Field("", max_length=2000)
    owner_team: str | None = Field(None, description="Key of the team whose members may push.")
    service_key: str | None = Field(None, pattern=SLUG_PATTERN, description="The catalog service it holds.")


class Repository(OutputModel):
    id: int
    key: str
    description: str
    host: str
    owner_team: str | None
    service_key: str | None
    default_branch: str
    created_at: datetime
    last_push_at: datetime | None = None


class RefUpdate(OutputModel):
    ref: str
    before: str
    after: str


class PushRecord(OutputModel):
    id: int
    repository: str
    ref: str
    before: str
    after: str
    pusher: str | None
    pushed_at: datetime


# --- reading a hosted repository (the browser) ---------------------------------------------------------


class Branch(OutputModel):
    name: str
    sha: str
    subject: str
    committed_at: datetime
    is_default: bool


class TreeEntry(OutputModel):
    name: str
    path: str
    kind: str = Field(description="`tree` (folder), `blob` (file), `symlink` or `submodule`.")
    size: int | None = None


class Tree(OutputModel):
    ref: str
    sha: str
    path: str
    entries: list[TreeEntry]
    truncated: bool = Field(False, description="More entries than are shown (the listing is bounded).")


class Blob(OutputModel):
    ref: str
    path: str
    size: int
    kind: str = Field(description="`blob` or `symlink` (a link's target is shown as text, never followed).")
    text: str | None = Field(None, description="The content as text; None when binary or too large.")
    too_large: bool = False


class CommitInfo(OutputModel):
    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    authored_at: datetime
    subject: str
    message: str


class FileDiff(OutputModel):
    path: str
    old_path: str | None
    added: int | None = Field(None, description="Lines added; None for a binary file.")
    deleted: int | None = None
    patch: str | None = Field(None, description="The unified diff; None when binary or over the bound.")


class CommitDiff(OutputModel):
    commit: CommitInfo
    files: list[FileDiff]
    truncated: bool = Field(False, description="Some files or patches were left out (the diff is bounded).")
