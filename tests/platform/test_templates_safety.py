"""Malicious templates are refused with a clear error, and nothing is written outside the destination."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digital_factory.accounts.schemas import Role
from digital_factory.app.factory import Runtime, prepare_platform
from digital_factory.core.errors import PermissionDenied, ValidationFailed
from digital_factory.platform import safety, sandbox
from digital_factory.platform import service as platform
from digital_factory.platform.schemas import TemplateCreate
from tests.factories import actor_of, make_user
from tests.platform.support import git


def make_template(
    root: Path, files: dict[str, str], *, links: dict[str, str] | None = None, tag: str = "v1.0.0"
) -> Path:
    repo = root / "tpl"
    repo.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=repo)
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for name, target in (links or {}).items():
        os.symlink(target, repo / name)
    git("add", "-A", cwd=repo)
    git("commit", "--quiet", "-m", "template", cwd=repo)
    git("tag", tag, cwd=repo)
    return repo


def make_climbing_template(root: Path) -> Path:
    """A template whose git tree holds `../up.txt`. No working tree can hold such a path, so the tree is
    built from objects, as a hostile repository would be."""
    repo = root / "tpl"
    repo.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=repo)
    config = git("hash-object", "-w", "--stdin", cwd=repo, stdin=BASE["copier.yml"]).stdout.strip()
    payload = git("hash-object", "-w", "--stdin", cwd=repo, stdin="written outside\n").stdout.strip()
    outside = git("mktree", cwd=repo, stdin=f"100644 blob {payload}\tup.txt\n").stdout.strip()
    tree = git("mktree", cwd=repo, stdin=f"100644 blob {config}\tcopier.yml\n040000 tree {outside}\t..\n")
    commit = git("commit-tree", tree.stdout.strip(), "-m", "template", cwd=repo).stdout.strip()
    git("update-ref", "refs/heads/main", commit, cwd=repo)
    git("tag", "v1.0.0", cwd=repo)
    return repo


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()}


BASE = {"copier.yml": "name:\n  type: str\n  default: x\n", "README.md.jinja": "# {{ name }}\n"}


@pytest.mark.parametrize(
    ("files", "links", "expected"),
    [
        (BASE, {"passwd": "/etc/passwd"}, "passwd: is a symbolic link"),
        ({**BASE, "copier.yml": BASE["copier.yml"] + "_tasks:\n  - touch /tmp/pwned-by-template\n"}, None, "_tasks"),
        (
            {**BASE, "copier.yml": BASE["copier.yml"] + "_migrations:\n  - version: v2\n    command: id\n"},
            None,
            "_migrations",
        ),
        (
            {**BASE, "copier.yml": BASE["copier.yml"] + "_jinja_extensions:\n  - evil.Extension\n"},
            None,
            "_jinja_extensions",
        ),
        (
            {**BASE, "copier.yml": BASE["copier.yml"] + "_external_data:\n  x: ../../etc/secret\n"},
            None,
            "_external_data",
        ),
        ({**BASE, "copier.yml": BASE["copier.yml"] + "_subdirectory: ../outside\n"}, None, "_subdirectory"),
    ],
)
def test_registering_a_malicious_template_is_refused(
    runtime: Runtime, tmp_path: Path, files: dict[str, str], links: dict[str, str] | None, expected: str
) -> None:
    make_user(runtime, "pia", Role.PLATFORM)
    source = make_template(tmp_path / "src", files, links=links)
    before = snapshot(tmp_path)
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        platform.register_template(uow, runtime.platform, TemplateCreate(key="evil", name="Evil", source=str(source)))
    assert expected in refused.value.detail
    assert refused.value.problems[0].field == "template"
    assert not runtime.platform.template_dir("evil").exists()
    assert snapshot(tmp_path) == before
    assert not Path("/tmp/pwned-by-template").exists()  # noqa: S108


def test_a_template_whose_tree_climbs_out_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    """git mirrors a tree entry named '..' without complaint; the tree check refuses the version."""
    make_user(runtime, "pia", Role.PLATFORM)
    source = make_climbing_template(tmp_path / "src")
    assert "../up.txt" in git("ls-tree", "-r", "--name-only", "v1.0.0", cwd=source).stdout.split()
    before = snapshot(tmp_path)
    with pytest.raises(ValidationFailed) as refused, runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        platform.register_template(
            uow, runtime.platform, TemplateCreate(key="climber", name="Climber", source=str(source))
        )
    assert "../up.txt: climbs out with '..'" in refused.value.detail
    assert refused.value.problems[0].field == "template"
    assert not runtime.platform.template_dir("climber").exists()
    assert snapshot(tmp_path) == before
    with runtime.store.unit_of_work(actor_of(runtime, "pia"), write=False) as uow:
        assert [t.key for t in platform.list_templates(uow)] == []


def test_tree_rules() -> None:
    entries = [
        safety.TreeEntry("100644", "ok/file.txt"),
        safety.TreeEntry("100644", "../up.txt"),
        safety.TreeEntry("100644", "/abs.txt"),
        safety.TreeEntry("120000", "link"),
        safety.TreeEntry("160000", "sub"),
        safety.TreeEntry("100644", "a\\b"),
        safety.TreeEntry("100644", "x/.git/config"),
    ]
    problems = safety.tree_problems(entries)
    assert any(p.startswith("../up.txt: climbs out") for p in problems)
    assert "/abs.txt: is absolute" in problems
    assert "link: is a symbolic link (templates may not contain links)" in problems
    assert "sub: is a git submodule (templates must be self-contained)" in problems
    assert "a\\b: contains a backslash" in problems
    assert "x/.git/config: writes into a .git folder" in problems
    assert not any(p.startswith("ok/") for p in problems)


def test_a_rendered_path_that_climbs_out_is_refused_and_nothing_escapes(runtime: Runtime, tmp_path: Path) -> None:
    """A templated file name answered with '../../x' is stopped: by copier, and by the sandbox."""
    make_user(runtime, "pia", Role.PLATFORM)
    source = make_template(
        tmp_path / "src",
        {"copier.yml": "target:\n  type: str\n  default: ok\n", "{{ target }}.txt.jinja": "written\n"},
    )
    with runtime.store.unit_of_work(actor_of(runtime, "pia")) as uow:
        template = platform.register_template(
            uow, runtime.platform, TemplateCreate(key="names", name="Names", source=str(source))
        )
    outside = tmp_path / "out"
    destination = outside / "dst"
    before = snapshot(tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        platform.render_template(runtime.platform, template, "v1.0.0", destination, {"target": "../../escaped"})
    assert "did not render" in refused.value.detail
    after = snapshot(tmp_path) - before
    assert all(p.startswith("out") for p in after), after
    assert not list(tmp_path.rglob("escaped.txt"))


def test_symlinks_in_a_render_are_found_afterwards(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    os.symlink("/etc/passwd", tmp_path / "passwd")
    assert safety.rendered_problems(tmp_path) == [
        "passwd: the render produced a symbolic link",
        "passwd: resolves outside the destination",
    ]


def test_only_the_platform_role_registers_and_only_admins_trust(runtime: Runtime, tmp_path: Path) -> None:
    make_user(runtime, "tom", Role.TEAM)
    make_user(runtime, "pia", Role.PLATFORM)
    make_user(runtime, "ada", Role.ADMIN)
    source = make_template(tmp_path / "src", {**BASE, "copier.yml": BASE["copier.yml"] + "_tasks:\n  - echo hello\n"})
    data = TemplateCreate(key="tasks", name="Tasks", source=str(source), trusted=True)
    for who in ("tom", "pia"):
        with pytest.raises(PermissionDenied), runtime.store.unit_of_work(actor_of(runtime, who)) as uow:
            platform.register_template(uow, runtime.platform, data)
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        registered = platform.register_template(uow, runtime.platform, data)
    assert registered.trusted and registered.versions == ["v1.0.0"]
    with runtime.store.unit_of_work(actor_of(runtime, "ada")) as uow:
        assert not platform.set_template_trust(uow, "tasks", False).trusted


def test_render_timeout_kills_the_render(runtime: Runtime, tmp_path: Path) -> None:
    prepare_platform(runtime)
    job = sandbox.RenderJob(
        "copy", runtime.platform.template_dir("python-service"), tmp_path / "dst", "v1.0.0", {"service_key": "x-y"}
    )
    with pytest.raises(sandbox.RenderError, match="timed out"):
        sandbox.run_render(job, timeout=0.05)


def test_the_render_command_runs_in_bubblewrap_without_network_or_environment() -> None:
    """The command is built the same way whether or not bubblewrap is installed on this machine."""
    command = sandbox.bwrap_command(
        sandbox.RenderJob("copy", Path("/srv/templates/t.git"), Path("/srv/scratch/dst"), "v1.0.0")
    )
    assert command[:2] == [str(sandbox.BWRAP), "--unshare-all"]
    joined = " ".join(command)
    assert "--ro-bind /srv/templates/t.git /srv/templates/t.git" in joined
    assert "--bind /srv/scratch/dst /srv/scratch/dst" in joined
    assert "--share-net" not in command and "--clearenv" in command
