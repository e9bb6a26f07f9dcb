"""Generates docs/reference/cli.md and settings.md from the code; `check` fails when they are stale.

python -m digital_factory.cli.reference write docs/reference
python -m digital_factory.cli.reference check docs/reference
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from digital_factory.settings import Settings


def cli_markdown() -> str:
    from digital_factory.cli.root import app

    root = typer.main.get_command(app)
    lines = ["# Command-line reference", "", "Generated from the code by `make docs`; do not edit by hand.", ""]
    _describe(root, ["factory"], lines)
    return "\n".join(lines).rstrip() + "\n"


def _describe(command: Any, path: list[str], lines: list[str]) -> None:
    # typer bundles its own click, so this walks the tree by shape, not by click's classes
    name = " ".join(path)
    lines += [f"{'#' * min(len(path) + 1, 4)} `{name}`", ""]
    if command.help:
        lines += [command.help.strip().split("\f")[0].strip(), ""]
    params = [p for p in command.params if p.name != "help"]
    if params:
        lines += ["| argument / option | description |", "|---|---|"]
        for param in params:
            lines.append(f"| {_param_name(param)} | {_param_help(param)} |")
        lines.append("")
    if hasattr(command, "commands"):
        for sub_name in sorted(command.commands):
            _describe(command.commands[sub_name], [*path, sub_name], lines)


def _is_option(param: Any) -> bool:
    return bool(getattr(param, "param_type_name", "") == "option")


def _param_name(param: Any) -> str:
    if _is_option(param):
        return ", ".join(f"`{opt}`" for opt in param.opts)
    return f"`{(param.name or '').upper()}`"


def _param_help(param: Any) -> str:
    text = getattr(param, "help", None) or ""
    default = param.default
    if _is_option(param) and default not in (None, False, ()) and not callable(default):
        text += f" Default: `{default}`."
    if param.required:
        text += " Required."
    return text.replace("|", "\\|").strip() or "—"


def settings_markdown() -> str:
    lines = [
        "# Settings reference",
        "",
        "Generated from the code by `make docs`; do not edit by hand. Every setting is an environment",
        "variable with the `FACTORY_` prefix. `factory settings show` prints the effective values.",
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "(per-user data directory)" if name == "home" else "(computed)"
        else:
            default = "—" if field.default is None else f"`{field.default}`"
        annotation = str(field.annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
        annotation = (
            annotation.replace("pydantic.types.", "").replace("pathlib.", "").replace("digital_factory.settings.", "")
        )
        lines.append(
            f"| `FACTORY_{name.upper()}` | {_type_name(field.annotation)} | {default} | {field.description or ''} |"
        )
    return "\n".join(lines) + "\n"


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " / ".join(f"`{member.value}`" for member in annotation)
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation).replace("typing.", "").replace("pydantic.types.", "")
    return text.replace(" | None", " (optional)").replace("|", "or")


DOCUMENTS = {"cli.md": cli_markdown, "settings.md": settings_markdown}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"write", "check"}:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    stale = []
    for filename, build in DOCUMENTS.items():
        target, content = folder / filename, build()
        if argv[0] == "write":
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        elif not target.exists() or target.read_text() != content:
            stale.append(str(target))
    if stale:
        print(f"stale generated docs: {', '.join(stale)}; run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
