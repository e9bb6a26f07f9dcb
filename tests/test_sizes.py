"""The size rule (DESIGN §4) holds on the code as it is, and the check names what breaks it."""

from __future__ import annotations

from pathlib import Path

from tools.sizes import FUNCTION_LINES, MODULE_LINES, main, oversized

ROOT = Path(__file__).resolve().parents[1]


def test_no_module_or_function_in_src_is_over_its_limit() -> None:
    assert [str(item) for item in oversized(ROOT / "src")] == []


def _function(name: str, body_lines: int, *, decorated: bool = False) -> str:
    head = "@decorator\n" if decorated else ""
    return head + f"def {name}() -> None:\n" + "    pass\n" * body_lines


def test_a_function_over_fifty_lines_counting_its_decorator_is_named(tmp_path: Path) -> None:
    (tmp_path / "topic.py").write_text(
        _function("fits", FUNCTION_LINES - 1) + _function("long", FUNCTION_LINES - 1, decorated=True)
    )
    found = oversized(tmp_path)
    assert [(item.where, item.what, item.lines) for item in found] == [("topic.py:52", "long()", 51)]


def test_a_module_over_six_hundred_lines_is_named_and_the_command_fails(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * (MODULE_LINES + 1))
    assert main([str(tmp_path)]) == 1
    assert [str(item) for item in oversized(tmp_path)] == [f"big.py: the module has 601 lines (at most {MODULE_LINES})"]


def test_migrations_are_exempt(tmp_path: Path) -> None:
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_first.py").write_text(_function("upgrade", 200))
    assert oversized(tmp_path) == []
    assert main([str(tmp_path)]) == 0
