"""Template safety rules (pure): what a template may contain, what its configuration may ask for,
and what a render may leave behind. Applied before rendering (on the template's git tree and copier
configuration) and after (on the destination). See docs/platform.md, "Safety model".
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

# copier settings that run code or reach outside the template: allowed only for trusted templates
UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions")
# never allowed: they read from or write to places outside the template and destination
FORBIDDEN_SETTINGS = ("_external_data", "_preserve_symlinks")
CONFIG_FILES = ("copier.yml", "copier.yaml")
MAX_TEMPLATE_FILES = 5_000
MAX_RENDERED_FILES = 10_000
MAX_RENDERED_BYTES = 200 * 1024 * 1024

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"


@dataclass(frozen=True)
class TreeEntry:
    """One entry of `git ls-tree -r`: mode and path."""

    mode: str
    path: str


_PATH_RULES: tuple[tuple[Callable[[str, PurePosixPath], bool], str], ...] = (
    (lambda raw, _: not raw or "\x00" in raw, "empty or contains NUL"),
    (lambda raw, _: "\\" in raw, "contains a backslash"),
    (lambda _, pure: pure.is_absolute(), "is absolute"),
    (lambda _, pure: ".." in pure.parts, "climbs out with '..'"),
    (lambda _, pure: ".git" in pure.parts, "writes into a .git folder"),
    (lambda _, pure: bool(pure.parts) and len(pure.parts[0]) == 2 and pure.parts[0][1] == ":", "names a drive"),
)


def path_problem(path: str) -> str | None:
    """Why a path inside a template or destination is unacceptable, or None."""
    pure = PurePosixPath(path)
    return next((reason for rule, reason in _PATH_RULES if rule(path, pure)), None)


def tree_problems(entries: Iterable[TreeEntry]) -> list[str]:
    problems = []
    count = 0
    for entry in entries:
        count += 1
        if entry.mode == MODE_SYMLINK:
            problems.append(f"{entry.path}: is a symbolic link (templates may not contain links)")
        elif entry.mode == MODE_SUBMODULE:
            problems.append(f"{entry.path}: is a git submodule (templates must be self-contained)")
        reason = path_problem(entry.path)
        if reason:
            problems.append(f"{entry.path}: {reason}")
        if ".." in entry.path.replace("{{", "").replace("}}", "").split("/"):
            problems.append(f"{entry.path}: climbs out with '..'")
    if count > MAX_TEMPLATE_FILES:
        problems.append(f"the template has {count} files; the limit is {MAX_TEMPLATE_FILES}")
    return sorted(set(problems))


class _IncludeLoader(yaml.SafeLoader):
    """copier's `!include` tag, kept as a marker so its target can be checked (never followed here)."""


@dataclass(frozen=True)
class Include:
    target: str


def _include(loader: yaml.SafeLoader, node: yaml.Node) -> Include:
    return Include(str(loader.construct_scalar(node)))  # type: ignore[arg-type]


_IncludeLoader.add_constructor("!include", _include)


def load_config(text: str) -> tuple[dict[str, Any], list[Include]]:
    """copier.yml (several documents are merged, as copier does) and the `!include` targets in it."""
    merged: dict[str, Any] = {}
    includes: list[Include] = []
    try:
        documents = list(yaml.load_all(text, Loader=_IncludeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(f"copier.yml is not valid YAML: {exc}") from None
    for document in documents:
        if isinstance(document, Include):
            includes.append(document)
        elif isinstance(document, Mapping):
            for key, value in document.items():
                if isinstance(value, Include):
                    includes.append(value)
                merged[str(key)] = value
        elif document is not None:
            raise ValueError("copier.yml must be a mapping of settings and questions")
    return merged, includes


def config_problems(config: Mapping[str, Any], includes: Iterable[Include], *, trusted: bool) -> list[str]:
    problems = []
    for setting in FORBIDDEN_SETTINGS:
        if config.get(setting):
            problems.append(f"{setting}: not allowed in golden-path templates")
    if not trusted:
        for setting in UNSAFE_SETTINGS:
            if config.get(setting):
                problems.append(
                    f"{setting}: runs code or loads extensions; only a template an admin marked trusted may use it"
                )
    return problems + _inner_path_problems(config, includes)


def _inner_path_problems(config: Mapping[str, Any], includes: Iterable[Include]) -> list[str]:
    """Settings and includes that name paths must stay inside the template."""
    named = [(setting, config.get(setting)) for setting in ("_subdirectory", "_answers_file")]
    named += [("!include", include.target) for include in includes]
    problems = []
    for label, value in named:
        if value is None or str(value) in {"", "."}:
            continue
        reason = path_problem(str(value))
        if reason:
            problems.append(f"{label} {value!r}: {reason}")
    return problems


def rendered_problems(destination: Path) -> list[str]:
    """Walks a rendered destination without following links: links, special files, size."""
    problems = []
    files = 0
    total = 0
    root = destination.resolve()
    for current, directories, names in os.walk(root, followlinks=False):
        relative_dir = Path(current).relative_to(root)
        if relative_dir.parts[:1] == (".git",):
            directories[:] = []
            continue
        for name in [*directories, *names]:
            path = Path(current) / name
            relative = (relative_dir / name).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                problems.append(f"{relative}: the render produced a symbolic link")
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                problems.append(f"{relative}: the render produced a special file")
            elif stat.S_ISREG(info.st_mode):
                files += 1
                total += info.st_size
            if not path.resolve().is_relative_to(root):
                problems.append(f"{relative}: resolves outside the destination")
        directories[:] = [d for d in directories if not (Path(current) / d).is_symlink()]
    if files > MAX_RENDERED_FILES:
        problems.append(f"the render produced {files} files; the limit is {MAX_RENDERED_FILES}")
    if total > MAX_RENDERED_BYTES:
        problems.append(f"the render produced {total} bytes; the limit is {MAX_RENDERED_BYTES}")
    return problems
