"""The house's size rule (DESIGN §4): no module over 600 lines and no function over 50, migrations aside.

`python -m tools.sizes [folder]` prints each module and function over its limit and exits 1 when there
is one; `make check` runs it on `src`. A function's lines run from its first decorator to its last line,
so a long signature or decorator counts too."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MODULE_LINES = 600
FUNCTION_LINES = 50
# Migrations are history: each one spells out its tables in full, once, and is never changed.
EXEMPT = ("migrations/versions",)


@dataclass(frozen=True)
class Oversized:
    where: str
    what: str
    lines: int
    limit: int

    def __str__(self) -> str:
        return f"{self.where}: {self.what} has {self.lines} lines (at most {self.limit})"


def oversized(root: Path) -> list[Oversized]:
    found: list[Oversized] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if any(part in relative for part in EXEMPT):
            continue
        found.extend(_in_module(path, relative))
    return found


def _in_module(path: Path, relative: str) -> Iterator[Oversized]:
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    if lines > MODULE_LINES:
        yield Oversized(relative, "the module", lines, MODULE_LINES)
    for node in ast.walk(ast.parse(text, filename=relative)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - first + 1
            if length > FUNCTION_LINES:
                yield Oversized(f"{relative}:{node.lineno}", f"{node.name}()", length, FUNCTION_LINES)


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "src")
    found = oversized(root)
    for item in found:
        print(item)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
