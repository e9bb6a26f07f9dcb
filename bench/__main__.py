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
    if not args.no_write and not args.only:
        DOCS.write_text(render(results))
        print(f"wrote {DOCS.relative_to(Path.cwd()) if DOCS.is_relative_to(Path.cwd()) else DOCS.name}")
    return 0


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
