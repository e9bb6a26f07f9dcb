"""`make bench` rewrites only the rows of the benchmarks it ran and keeps the notes under the table."""

from __future__ import annotations

from bench.__main__ import merge
from bench.harness import Result

OLD = """# Benchmarks

Last run: 2026-01-01 00:00 UTC, old.

| benchmark | figure | baseline | baseline figure | ratio | module |
|---|---|---|---|---|---|
| a | 1.0 x | b | 2.0 x | 0.500 | `bench.one` |
| c | 1.0 x | d | 2.0 x | 0.500 | `bench.two` |

Notes about bench.two stay.
"""


def test_a_partial_run_replaces_its_rows_in_place_and_keeps_the_rest() -> None:
    page = merge(OLD, [("bench.one", Result("a2", 3.0, "x", "b", 6.0))], whole=False)
    lines = page.splitlines()
    assert lines[6].startswith("| a2 | 3.0 x |") and lines[7].startswith("| c |")
    assert "Notes about bench.two stay." in page and "Last run: 2026-01-01" in page


def test_a_new_module_is_added_at_the_end_of_the_table_and_a_whole_run_renews_the_date() -> None:
    new = [("bench.three", Result("e", 1.0, "x", "f", 1.0)), ("bench.three", Result("g", 1.0, "x", "h", 1.0))]
    page = merge(OLD, new, whole=True)
    lines = page.splitlines()
    assert lines[8].startswith("| e |") and lines[9].startswith("| g |") and lines[10] == ""
    assert "Last run: 2026-01-01" not in page and "Notes about bench.two stay." in page
