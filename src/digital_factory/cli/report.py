"""`factory report board`: the board pack of a period as one self-contained HTML file (through the REST
API), or as a PDF printed by headless Chromium on this machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from digital_factory.cli.client import api
from digital_factory.cli.output import domain_errors, fail, say

app = typer.Typer(help="Reports made from the live data: the board pack.", no_args_is_help=True)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 120


def find_chromium(given: Path | None) -> Path:
    """The Chromium to print with: the one given, else the first on PATH; a clear error when there is none."""
    if given is not None:
        if not given.is_file():
            raise fail(f"no Chromium at {given}", 1)
        return given
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        raise fail(
            "a PDF needs Chromium, and none was found on PATH (chromium, google-chrome): install it or pass "
            "--chromium PATH; without --pdf the pack is an HTML file that any browser prints",
            1,
        )
    return Path(found)


def print_to_pdf(chromium: Path, html: Path, pdf: Path, *, timeout: float = PDF_TIMEOUT_SECONDS) -> None:
    """Print `html` to `pdf` with headless Chromium in a throwaway profile; fail with its message."""
    with tempfile.TemporaryDirectory(prefix="factory-pdf-") as profile:
        command = [
            str(chromium),
            "--headless",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        except subprocess.TimeoutExpired:
            raise fail(f"Chromium did not finish printing within {timeout:g} s", 1) from None
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise fail(f"Chromium could not print the pack (exit {done.returncode}): {detail[0]}", 1)


@app.command("board")
def board(
    period: Annotated[str, typer.Option(help="A quarter (2026-Q4), a month (2026-11) or a year (2026).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="The file to write.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Print to PDF with headless Chromium.")] = False,
    chromium: Annotated[Path | None, typer.Option(help="The Chromium to print with (default: on PATH).")] = None,
) -> None:
    """Write the board pack of a period: epics, decisions due and attribution, from the live data."""
    browser = find_chromium(chromium) if pdf else None
    with domain_errors(), api() as client:
        html = client.text("/insights/board-pack", period=period)
    stem = f"board-pack-{period.strip().upper()}"
    target = output or Path(f"{stem}.{'pdf' if pdf else 'html'}")
    if browser is None:
        target.write_text(html, encoding="utf-8")
    else:
        with tempfile.TemporaryDirectory(prefix="factory-pack-") as folder:
            page = Path(folder) / f"{stem}.html"
            page.write_text(html, encoding="utf-8")
            print_to_pdf(browser, page, target)
    say(f"wrote {target}")
