"""A hosted repository with real history, for the repository browser's tests."""

from __future__ import annotations

from pathlib import Path

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import RepositoryCreate
from tests.factories import actor_of, make_user
from tests.platform.support import git


def make_hosted(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    """A hosted repository `rocket` with two commits on main and a branch; returns their ids."""
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "vic", Role.VIEWER)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        repos.create_repository(uow, runtime.repo_host, RepositoryCreate(key="rocket", description="A rocket"))
    work = tmp_path / "rocket"
    git("init", "--quiet", "--initial-branch=main", str(work), cwd=tmp_path)
    (work / "src").mkdir()
    (work / "README.md").write_text("# Rocket\n\nGoes <script>alert(1)</script> up.\n")
    (work / "src" / "engine.py").write_text("def thrust() -> int:\n    return 42\n")
    (work / "logo.bin").write_bytes(b"\x89PNG\0\0binary")
    (work / "big.txt").write_text("x" * (repos.MAX_BLOB_BYTES + 10))
    (work / "passwd").symlink_to("/etc/passwd")
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "-m", "First flight", cwd=work)
    first = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("mv", "src/engine.py", "src/motor.py", cwd=work)
    (work / "src" / "motor.py").write_text("def thrust() -> int:\n    return 43\n")
    git("commit", "--quiet", "-am", "More thrust", cwd=work)
    second = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("branch", "experiment", first, cwd=work)
    bare = str(runtime.repo_host.git_dir("rocket"))
    git("push", "--quiet", bare, "main", "experiment", cwd=work)
    return {"first": first, "second": second}
