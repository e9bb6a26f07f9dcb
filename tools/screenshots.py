"""Regenerate the README's screenshots from a demo run: `python -m tools.screenshots [--out docs/screenshots]`.

Plays `factory demo --fast` into a scratch folder on a free port, signs in as the board in Debian's Chromium
(Playwright with `/usr/bin/chromium`; no browser is downloaded), photographs the loop's pages and stops the
demo. Needs the test dependencies (`make install`)."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = re.compile(r"with password (\S+?)\.?$")


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    focus: str = ""  # a CSS selector to photograph instead of the viewport


SHOTS: tuple[Shot, ...] = (
    Shot("portfolio", "/portfolio?tour=1"),
    Shot("epic-hypothesis", "/portfolio/epics/EPIC-1", "[data-testid=hypothesis]"),
    Shot("epic-loop", "/portfolio/epics/EPIC-1", "#loop"),
    Shot("pipeline", "/delivery/services/flight-control"),
    Shot("flag-rollout", "/releases/flight-control/flags/heavy-lift-mode"),
    Shot("telemetry", "/telemetry/services/flight-control"),
    Shot("hypotheses", "/insights/hypotheses"),
    Shot("board", "/insights/board"),
)


@dataclass(frozen=True)
class Demo:
    url: str
    password: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo(home: Path) -> Iterator[Demo]:
    """`factory demo --fast` until it is ready; Ctrl-C'd at the end."""
    port = _free_port()
    command = [sys.executable, "-m", "digital_factory", "demo", "--fast", "--home", str(home), "--port", str(port)]
    env = {**os.environ, "COLUMNS": "200", "FACTORY_HOME": str(home.parent)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603  (our own command)
    assert process.stdout is not None
    password = ""
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            if match := PASSWORD.search(line.strip()):
                password = match.group(1)
            if line.startswith("The drone fleet keeps flying"):
                break
        if not password:
            raise SystemExit("the demo ended before it was ready")
        yield Demo(f"http://127.0.0.1:{port}", password)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)


def photograph(target: Demo, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        _sign_in(page, target)
        for shot in SHOTS:
            page.goto(target.url + shot.path)
            page.wait_for_load_state("networkidle")
            path = out / f"{shot.name}.png"
            if shot.focus:
                page.locator(shot.focus).first.screenshot(path=str(path))
            else:
                page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


def _sign_in(page: Page, target: Demo) -> None:
    page.goto(target.url + "/login")
    page.get_by_label("Username").fill("board")
    page.get_by_label("Password").fill(target.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="where the PNG files go")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium package")
    with tempfile.TemporaryDirectory() as scratch, demo(Path(scratch) / "demo") as target:
        for path in photograph(target, args.out):
            print("wrote", path)


if __name__ == "__main__":
    main()
