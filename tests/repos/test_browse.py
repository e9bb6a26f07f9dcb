"""Reading a hosted repository for the browser: branches, folders, files, commits and diffs, bounded, with
links shown as links (never followed) and paths or refs that could leave the repository refused."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime
from digital_factory.core.errors import NotFound, ValidationFailed
from digital_factory.core.pagination import PageRequest
from digital_factory.repos import service as repos
from digital_factory.repos.schemas import RepositoryCreate
from digital_factory.store.uow import UnitOfWork
from tests.factories import actor_of, make_user
from tests.repos.hosted import make_hosted


@pytest.fixture
def hosted(runtime: Runtime, tmp_path: Path) -> dict[str, str]:
    return make_hosted(runtime, tmp_path)


def _as(runtime: Runtime, who: str = "vic") -> AbstractContextManager[UnitOfWork]:
    return runtime.store.unit_of_work(actor_of(runtime, who), write=False)


def test_branches_tree_and_files(runtime: Runtime, hosted: dict[str, str]) -> None:
    host = runtime.repo_host
    with _as(runtime) as uow:
        branches = repos.list_branches(uow, host, "rocket")
        tree = repos.list_tree(uow, host, "rocket")
        src = repos.list_tree(uow, host, "rocket", path="src")
        old_src = repos.list_tree(uow, host, "rocket", ref="experiment", path="src/")
        motor = repos.read_blob(uow, host, "rocket", "src/motor.py")
        link = repos.read_blob(uow, host, "rocket", "passwd")
        binary = repos.read_blob(uow, host, "rocket", "logo.bin")
        big = repos.read_blob(uow, host, "rocket", "big.txt")
        readme = repos.find_readme(uow, host, "rocket", tree)
    assert {(b.name, b.sha, b.is_default) for b in branches} == {
        ("main", hosted["second"], True),
        ("experiment", hosted["first"], False),
    }
    assert [(e.name, e.kind) for e in tree.entries] == [
        ("src", "tree"),
        ("big.txt", "blob"),
        ("logo.bin", "blob"),
        ("passwd", "symlink"),
        ("README.md", "blob"),
    ]
    assert tree.sha == hosted["second"] and not tree.truncated
    assert [e.path for e in src.entries] == ["src/motor.py"]
    assert [e.path for e in old_src.entries] == ["src/engine.py"]
    assert motor.text == "def thrust() -> int:\n    return 43\n"
    assert (link.kind, link.text) == ("symlink", "/etc/passwd")  # the link's target, never the file it names
    assert binary.text is None and not binary.too_large
    assert big.too_large and big.text is None and big.size == repos.MAX_BLOB_BYTES + 10
    assert readme is not None and readme.text is not None and readme.text.startswith("# Rocket")


def test_commits_and_diffs(runtime: Runtime, hosted: dict[str, str]) -> None:
    host = runtime.repo_host
    with _as(runtime) as uow:
        log = repos.list_commits(uow, host, "rocket", PageRequest(limit=1))
        rest = repos.list_commits(uow, host, "rocket", PageRequest(limit=1, offset=1))
        second = repos.commit_diff(uow, host, "rocket", hosted["second"])
        first = repos.commit_diff(uow, host, "rocket", hosted["first"][:12])
    assert log.total == 2 and [c.subject for c in log.items] == ["More thrust"]
    assert [(c.sha, c.parents) for c in rest.items] == [(hosted["first"], [])]
    assert second.commit.subject == "More thrust" and second.commit.author_name == "Erin Engines"
    [motor] = second.files
    assert (motor.path, motor.old_path, motor.added, motor.deleted) == ("src/motor.py", "src/engine.py", 1, 1)
    assert motor.patch is not None and "-    return 42" in motor.patch and "+    return 43" in motor.patch
    by_path = {f.path: f for f in first.files}
    assert set(by_path) == {"README.md", "big.txt", "logo.bin", "passwd", "src/engine.py"}
    assert by_path["logo.bin"].added is None and by_path["logo.bin"].patch is None  # binary
    assert by_path["src/engine.py"].patch is not None and "+def thrust() -> int:" in by_path["src/engine.py"].patch
    assert first.commit.sha == hosted["first"]


def test_what_could_leave_the_repository_is_refused(runtime: Runtime, hosted: dict[str, str]) -> None:
    host = runtime.repo_host
    with _as(runtime) as uow:
        for path in ("../rocket.git/config", "src/../../x", "/etc/passwd/..", "a//b"):
            with pytest.raises(ValidationFailed) as refused:
                repos.read_blob(uow, host, "rocket", path)
            assert refused.value.problems[0].field == "path"
        for ref in ("--output=/tmp/x", "main..experiment", "-n"):
            with pytest.raises(ValidationFailed) as refused:
                repos.list_tree(uow, host, "rocket", ref=ref)
            assert refused.value.problems[0].field == "ref"
        with pytest.raises(NotFound):
            repos.list_tree(uow, host, "rocket", ref="nope")
        with pytest.raises(NotFound):
            repos.read_blob(uow, host, "rocket", "src")  # a folder, not a file
        with pytest.raises(NotFound):
            repos.list_tree(uow, host, "nope")
        with pytest.raises(ValidationFailed):
            repos.commit_diff(uow, host, "rocket", "main")  # a commit id, not a branch name


def test_an_empty_repository_has_no_branches(runtime: Runtime) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        repos.create_repository(uow, runtime.repo_host, RepositoryCreate(key="blank"))
        assert repos.list_branches(uow, runtime.repo_host, "blank") == []
