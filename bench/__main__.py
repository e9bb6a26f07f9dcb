"""Runs every benchmark (or those named) and rewrites docs/benchmarks.md."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

from bench.harness import Result

MODULES = [
    "bench.bench_api",
    "bench.api_wrk",
    "bench.bench_portfolio",
    "bench.bench_teams",
    "bench.bench_onboarding",
    "bench.bench_pipeline",
    "bench.bench_flags",
    "bench.flags_wrk",
    "bench.insights_flow",
    "bench.telemetry_write",
    "bench.telemetry_query",
    "bench.telemetry_otlp",
    "bench.bench_insights",
    "bench.webhooks_wrk",
    "bench.insights_hypotheses",
    "bench.insights_dora",
    "bench.writes_wrk",
    "bench.scaleout_wrk",
]
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="module names to run (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    results: list[tuple[str, Result]] = []
    for module_name in MODULES:
        if args.only and not any(name in module_name for name in args.only):
            continue
        print(f"running {module_name} ...", flush=True)
        for result in importlib.import_module(module_name).run():
            results.append((module_name, result))
            print(
                f"  {result.name}: {result.figure:,.1f} {result.unit}  |  {result.baseline_name}: "
                f"{result.baseline:,.1f} {result.unit}  |  ratio {result.ratio:.3f}",
                flush=True,
            )
    if not args.no_write:
        old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
        DOCS.write_text(merge(old, results, whole=not args.only), encoding="utf-8")
        print(f"wrote {DOCS.relative_to(Path.cwd()) if DOCS.is_relative_to(Path.cwd()) else DOCS.name}")
    return 0


def merge(old: str, results: list[tuple[str, Result]], *, whole: bool) -> str:
    """The page with the rows of the modules just run replaced where they stood (new modules' rows at the end
    of the table) and everything else kept: the other modules' rows and the notes below the table. A whole
    run also renews the "Last run" line."""
    fresh = render(results).splitlines()
    if not old:
        return "\n".join(fresh) + "\n"
    lines = old.splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("| ") and line.endswith("` |")]
    if not rows:
        return "\n".join(fresh) + "\n"
    new_rows = [line for line in fresh if line.startswith("| ") and line.endswith("` |")]
    ran = {f"`{module}`" for module, _ in results}
    table: list[str] = []
    for line in lines[rows[0] : rows[-1] + 1]:
        module = line.rsplit("|", 2)[-2].strip()
        if module not in ran:
            table.append(line)
        elif not any(f"| {module} |" in kept for kept in table):
            table.extend(r for r in new_rows if r.endswith(f"| {module} |"))
    present = _modules(table)  # new modules' rows go at the end, all of them
    table.extend(r for r in new_rows if r not in table and r.rsplit("|", 2)[-2].strip() not in present)
    head = lines[: rows[0]]
    if whole:
        renewed = next(line for line in fresh if line.startswith("Last run:"))
        head = [renewed if line.startswith("Last run:") else line for line in head]
    return "\n".join([*head, *table, *lines[rows[-1] + 1 :]]) + "\n"


def _modules(rows: list[str]) -> set[str]:
    return {row.rsplit("|", 2)[-2].strip() for row in rows}


def render(results: list[tuple[str, Result]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Every figure stands beside a baseline measured in the same run on the same machine; the ratio is the",
        "result (absolute numbers on a shared machine are noise). Regenerate with `make bench`.",
        "",
        f"Last run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}.",
        "",
        "| benchmark | figure | baseline | baseline figure | ratio | module |",
        "|---|---|---|---|---|---|",
    ]
    for module, r in results:
        lines.append(
            f"| {r.name} | {r.figure:,.1f} {r.unit} | {r.baseline_name} | {r.baseline:,.1f} {r.unit} | "
            f"{r.ratio:.3f} | `{module}` |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
