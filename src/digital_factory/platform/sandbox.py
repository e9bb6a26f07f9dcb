"""Starting the render process: bubblewrap when present, a clean environment, a hard timeout.

Inside bubblewrap the process sees the system (`/usr`), the Python installation and the template
repository read-only, the destination read-write, a private /tmp, no network and no capabilities.
Where bubblewrap is missing, the render still runs in its own process with a clean environment and
a timeout, and the before/after checks of `safety` remain; docs/platform.md says what that loses.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import copier

import digital_factory
from digital_factory.repos import service as repos

log = logging.getLogger(__name__)

BWRAP = Path("/usr/bin/bwrap")
OUTPUT_LIMIT = 64_000


class RenderError(Exception):
    """The render did not complete: `reason` is safe to show to the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RenderJob:
    mode: Literal["copy", "update"]
    template_dir: Path
    destination: Path
    vcs_ref: str
    data: dict[str, Any] = field(default_factory=dict)
    trusted: bool = False

    def payload(self) -> str:
        return json.dumps(
            {
                "mode": self.mode,
                "src": str(self.template_dir),
                "dst": str(self.destination),
                "vcs_ref": self.vcs_ref,
                "data": self.data,
                "trusted": self.trusted,
            }
        )


def bwrap_available() -> bool:
    return BWRAP.exists() and os.access(BWRAP, os.X_OK)


def python_paths() -> list[Path]:
    """What the render process needs to import Python, copier and this module: read-only binds."""
    candidates = [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sysconfig.get_paths()["stdlib"]),
        Path(sysconfig.get_paths()["platstdlib"]),
        Path(copier.__file__).parent.parent,
        Path(digital_factory.__file__).parent.parent,
        Path(sys.executable).resolve().parent.parent,
        *(Path(p) for p in site.getsitepackages()),
    ]
    seen: list[Path] = []
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_dir() and resolved != Path("/") and resolved not in seen:
            seen.append(resolved)
    return seen


def sandbox_environment() -> dict[str, str]:
    env = repos.git_environment(home="/tmp")  # noqa: S108  (the sandbox's private tmpfs)
    env.update({"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "TMPDIR": "/tmp"})  # noqa: S108
    return env


def bwrap_command(job: RenderJob) -> list[str]:
    command = [
        str(BWRAP),
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",  # noqa: S108
    ]
    for name in ("bin", "lib", "lib64", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            command += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            command += ["--ro-bind", str(top), str(top)]
    for path in python_paths():
        command += ["--ro-bind", str(path), str(path)]
    command += ["--ro-bind", str(job.template_dir), str(job.template_dir)]
    command += ["--bind", str(job.destination), str(job.destination)]
    command += ["--clearenv"]
    for key, value in sandbox_environment().items():
        command += ["--setenv", key, value]
    command += ["--chdir", "/tmp", "--", sys.executable, "-m", "digital_factory.platform.render"]  # noqa: S108
    return command


def run_render(job: RenderJob, *, timeout: float, sandbox: bool | None = None) -> None:
    """Run one render to completion or raise RenderError; the whole process group dies on timeout."""
    job.destination.mkdir(parents=True, exist_ok=True)
    use_bwrap = bwrap_available() if sandbox is None else sandbox
    if use_bwrap:
        command = bwrap_command(job)
        env = {"PATH": "/usr/bin:/bin"}
    else:
        log.warning("bubblewrap not found at %s: rendering without a filesystem sandbox", BWRAP)
        command = [sys.executable, "-m", "digital_factory.platform.render"]
        env = {**sandbox_environment(), "HOME": str(job.destination.parent), "TMPDIR": str(job.destination.parent)}
    process = subprocess.Popen(  # noqa: S603  (argument list, no shell)
        command,
        env=env,
        cwd=str(job.destination.parent),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(job.payload(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RenderError(f"the template render timed out after {timeout:.0f} s and was stopped") from None
    result = _last_json(stdout)
    if result is None:
        log.warning("render process ended without a result (%s): %s", process.returncode, stderr[-OUTPUT_LIMIT:])
        raise RenderError(f"the render process failed (exit {process.returncode}): {stderr.strip()[-300:]}")
    if not result.get("ok"):
        raise RenderError(str(result.get("error", "unknown error"))[:2000])


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def scratch_dir(root: Path, prefix: str) -> Path:
    """A fresh private working folder under the platform's scratch root."""
    import tempfile  # noqa: PLC0415

    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
