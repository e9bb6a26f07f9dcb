"""Template repositories on disk: the built-in templates materialised as git repositories with
version tags, mirrors of registered ones, and reading a version's tree and questions.

Copier needs templates as git repositories with PEP 440 tags. The built-in templates ship as plain
folders in this package (`builtin_templates/<key>/`); on first use each becomes a bare repository in
the data folder, tagged `v<version>`. A newer build with a newer version constant adds one commit and
one tag, so services made earlier see an upgrade in the fleet.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from digital_factory.core.errors import FieldProblem, ValidationFailed
from digital_factory.platform import safety
from digital_factory.repos import service as repos

BUILTIN_DIR = Path(__file__).parent / "builtin_templates"


@dataclass(frozen=True)
class BuiltinTemplate:
    key: str
    name: str
    description: str
    version: str

    @property
    def tag(self) -> str:
        return f"v{self.version}"

    @property
    def folder(self) -> Path:
        return BUILTIN_DIR / self.key


PYTHON_SERVICE_VERSION = "1.0.0"
STATIC_SITE_VERSION = "1.0.0"

BUILTINS: tuple[BuiltinTemplate, ...] = (
    BuiltinTemplate(
        "python-service",
        "Python web service",
        "FastAPI service with tests, OpenTelemetry metrics and a build / test / deploy pipeline.",
        PYTHON_SERVICE_VERSION,
    ),
    BuiltinTemplate(
        "static-site",
        "Static web site",
        "HTML and CSS pages with a link check and a build / test / publish pipeline.",
        STATIC_SITE_VERSION,
    ),
)
BUILTIN_BY_KEY = {template.key: template for template in BUILTINS}


def version_key(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def versions(bare: Path) -> list[str]:
    """The repository's version tags (PEP 440, e.g. v1.2.0), oldest first; pre-releases excluded."""
    tags = [ref.removeprefix("refs/tags/") for ref in repos.list_refs(bare) if ref.startswith("refs/tags/")]
    parsed = [(version_key(tag), tag) for tag in tags]
    usable = [(v, tag) for v, tag in parsed if v is not None and not v.is_prerelease]
    return [tag for _, tag in sorted(usable)]


def newest(tags: list[str]) -> str | None:
    return tags[-1] if tags else None


def is_newer(candidate: str, than: str | None) -> bool:
    new, old = version_key(candidate), version_key(than) if than else None
    if new is None:
        return False
    return old is None or new > old


def materialize_builtin(template: BuiltinTemplate, bare: Path, scratch: Path) -> None:
    """Make sure `bare` holds the built-in template with its current version tag."""
    if not bare.exists():
        repos.init_bare(bare)
    if template.tag in versions(bare):
        return
    work = scratch / "work"
    if repos.list_refs(bare):
        repos.run_git(["clone", "--quiet", str(bare), str(work)])
        for child in work.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        repos.run_git(["init", "--quiet", "--initial-branch=main", str(work)])
    shutil.copytree(template.folder, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    repos.commit_all(work, f"{template.name} {template.version}")
    repos.run_git(["tag", template.tag], cwd=work)
    repos.run_git(["push", "--quiet", str(bare), "HEAD:refs/heads/main", f"refs/tags/{template.tag}"], cwd=work)
    shutil.rmtree(work, ignore_errors=True)


def mirror(source: str, bare: Path, *, timeout: float, options: Sequence[str] = ()) -> None:
    """Fetch a registered template's repository into the data folder (a bare mirror). `options` are git
    `-c` options placed first (the outbound guard's pinning to a checked address)."""
    if bare.exists():
        fetch = ["--git-dir", str(bare), "fetch", "--quiet", "--prune", "--tags", "origin"]
        repos.run_git([*options, *fetch], timeout=timeout)
    else:
        bare.parent.mkdir(parents=True, exist_ok=True)
        repos.run_git([*options, "clone", "--quiet", "--mirror", "--no-local", source, str(bare)], timeout=timeout)


def tree(bare: Path, rev: str) -> list[safety.TreeEntry]:
    done = repos.run_git(["--git-dir", str(bare), "ls-tree", "-r", "-z", "--full-tree", rev])
    entries = []
    for record in done.stdout.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        entries.append(safety.TreeEntry(mode=meta.split()[0], path=path))
    return entries


def read_config(bare: Path, rev: str) -> tuple[dict[str, Any], list[safety.Include]]:
    for name in safety.CONFIG_FILES:
        content = repos.show_file(bare, rev, name)
        if content is not None:
            try:
                return safety.load_config(content.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValidationFailed.on("template", str(exc)) from None
    raise ValidationFailed.on("template", f"version {rev} has no copier.yml: it is not a copier template")


def check_version(bare: Path, rev: str, *, trusted: bool) -> dict[str, Any]:
    """Refuse a template version that is unsafe to render; returns its copier configuration."""
    problems = safety.tree_problems(tree(bare, rev))
    config, includes = read_config(bare, rev)
    problems += safety.config_problems(config, includes, trusted=trusted)
    if problems:
        raise ValidationFailed(
            f"template version {rev} refused: " + "; ".join(problems[:10]),
            [FieldProblem("template", problem) for problem in problems],
        )
    return config
